/*
 * ortDirect: ONNX Runtime's C API called straight from Node-API, for one thing onnxruntime-node's
 * own binding (1.30) cannot do: run a session whose outputs ONNX Runtime writes into arrays the
 * caller owns, with no copy. The binding copies every output into a fresh, zeroed ArrayBuffer, a
 * preallocated one too (OrtValueToNapiValue), which for a CIFAR ResNet-18 epoch at probe 500 is
 * 4 GB of memset and memcpy and a million page faults on the thread the epoch waits for
 * (docs/native-engine.md, "The direct runner").
 *
 * It loads the very libonnxruntime that onnxruntime-node ships (the path comes from JavaScript), so
 * that both share one runtime, one environment and the same kernels: the same bits. Sessions are
 * made with the settings src/native/ortRuntime.ts gives every session (CPU only). A run is
 * asynchronous (libuv's pool), as the binding's is, and holds references to its arrays until it
 * ends.
 *
 * Exports: open(libraryPath), createSession(modelBytes, intraOpThreads, spinning, blocked),
 * run(session, inputNames, inputs, inputDims, outputNames, outputs, outputDims) → Promise of the
 * outputs (a preallocated output is returned as given; a null one as a new typed array with its
 * dims), release(session).
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <node_api.h>
#include <onnxruntime_c_api.h>

static const OrtApi *api = NULL;
static OrtEnv *ort_env = NULL;
static OrtMemoryInfo *cpu = NULL;
/* The runtime is opened once per process; worker threads (the native pass worker) open it too. */
static pthread_mutex_t opening = PTHREAD_MUTEX_INITIALIZER;

#define NAPI_OK(call)                                                                                                  \
  do {                                                                                                                 \
    if ((call) != napi_ok) {                                                                                           \
      throw_last(e);                                                                                                   \
      return NULL;                                                                                                     \
    }                                                                                                                  \
  } while (0)

static void throw_last(napi_env e) {
  const napi_extended_error_info *info = NULL;
  napi_get_last_error_info(e, &info);
  bool pending = false;
  napi_is_exception_pending(e, &pending);
  if (!pending) napi_throw_error(e, NULL, info && info->error_message ? info->error_message : "Node-API call failed");
}

/* Throws the runtime's message for a failed call and releases the status; true where it failed. */
static bool failed(napi_env e, OrtStatus *status) {
  if (!status) return false;
  char message[1024];
  snprintf(message, sizeof message, "%s", api->GetErrorMessage(status));
  api->ReleaseStatus(status);
  napi_throw_error(e, NULL, message);
  return true;
}

/* Opens the runtime at `path` (once; later calls return at once); a message on failure, NULL when open. */
static const char *open_locked(const char *path, char *message, size_t size) {
  if (api) return NULL;
  void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!library) return dlerror();
  typedef const OrtApiBase *(*GetApiBase)(void);
  GetApiBase getBase = (GetApiBase)dlsym(library, "OrtGetApiBase");
  const OrtApiBase *base = getBase ? getBase() : NULL;
  const OrtApi *found = base ? base->GetApi(ORT_API_VERSION) : NULL;
  if (!found) {
    snprintf(message, size, "the runtime at that path has no C API version %d", ORT_API_VERSION);
    return message;
  }
  /* The process's one environment (the runtime keeps a single instance: the binding's). */
  OrtStatus *status = found->CreateEnv(ORT_LOGGING_LEVEL_ERROR, "cnn-slicer", &ort_env);
  if (!status) status = found->CreateCpuMemoryInfo(OrtDeviceAllocator, OrtMemTypeDefault, &cpu);
  if (status) {
    snprintf(message, size, "%s", found->GetErrorMessage(status));
    found->ReleaseStatus(status);
    return message;
  }
  api = found;
  return NULL;
}

static napi_value open_runtime(napi_env e, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_OK(napi_get_cb_info(e, info, &argc, argv, NULL, NULL));
  char path[4096];
  size_t length = 0;
  NAPI_OK(napi_get_value_string_utf8(e, argv[0], path, sizeof path, &length));
  char message[1024];
  pthread_mutex_lock(&opening);
  const char *failure = open_locked(path, message, sizeof message);
  if (failure && failure != message) {
    snprintf(message, sizeof message, "%s", failure);
    failure = message;
  }
  pthread_mutex_unlock(&opening);
  if (failure) napi_throw_error(e, NULL, failure);
  return NULL;
}

/* The two element types a tensor may have here: ONNX's, Node-API's typed array and the size of one value. */
typedef struct {
  ONNXTensorElementDataType element;
  napi_typedarray_type array;
  size_t size;
} ElementType;

static const ElementType ELEMENT_TYPES[] = {
    {ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT, napi_float32_array, 4},
    {ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE, napi_float64_array, 8},
};

/* The entry of ONNX's `element` or of the typed array `array` (pass -1 for the other), or NULL. */
static const ElementType *element_type(int element, int array) {
  for (size_t k = 0; k < sizeof ELEMENT_TYPES / sizeof ELEMENT_TYPES[0]; k++)
    if ((int)ELEMENT_TYPES[k].element == element || (int)ELEMENT_TYPES[k].array == array) return &ELEMENT_TYPES[k];
  return NULL;
}

/* A session, released when JavaScript releases it or lets it go, but never under a run in flight. */
typedef struct {
  OrtSession *session;
  int running;
  bool released;
} Slot;

static void settle(Slot *slot) {
  if (slot->released && slot->running == 0 && slot->session) {
    api->ReleaseSession(slot->session);
    slot->session = NULL;
  }
}

static void release_session(napi_env e, void *data, void *hint) {
  (void)e;
  (void)hint;
  Slot *slot = data;
  slot->released = true;
  settle(slot);
  free(slot);
}

static napi_value create_session(napi_env e, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  NAPI_OK(napi_get_cb_info(e, info, &argc, argv, NULL, NULL));
  if (!api) {
    napi_throw_error(e, NULL, "open() the runtime first");
    return NULL;
  }
  void *bytes = NULL;
  size_t length = 0;
  napi_typedarray_type type;
  napi_value buffer;
  size_t offset;
  NAPI_OK(napi_get_typedarray_info(e, argv[0], &type, &length, &bytes, &buffer, &offset));
  int32_t threads = 1;
  NAPI_OK(napi_get_value_int32(e, argv[1], &threads));
  bool spinning = true;
  NAPI_OK(napi_get_value_bool(e, argv[2], &spinning));
  /* The blocked layout (NCHWc): every optimisation, ORT_ENABLE_ALL; else ORT_ENABLE_EXTENDED (src/native/ortRuntime.ts `SessionLayout`). */
  bool blocked = false;
  if (argc >= 4) NAPI_OK(napi_get_value_bool(e, argv[3], &blocked));
  OrtSessionOptions *options = NULL;
  if (failed(e, api->CreateSessionOptions(&options))) return NULL;
  OrtStatus *status = NULL;
  if (!status) status = api->SetIntraOpNumThreads(options, threads);
  if (!status) status = api->SetInterOpNumThreads(options, 1);
  if (!status) status = api->SetSessionExecutionMode(options, ORT_SEQUENTIAL);
  if (!status) status = api->SetSessionGraphOptimizationLevel(options, blocked ? ORT_ENABLE_ALL : ORT_ENABLE_EXTENDED);
  if (!status) status = api->DisableCpuMemArena(options);
  if (!status) status = api->DisableMemPattern(options);
  if (!status) status = api->SetSessionLogSeverityLevel(options, 3);
  if (!status && !spinning) status = api->AddSessionConfigEntry(options, "session.intra_op.allow_spinning", "0");
  OrtSession *session = NULL;
  if (!status) status = api->CreateSessionFromArray(ort_env, bytes, length, options, &session);
  api->ReleaseSessionOptions(options);
  if (failed(e, status)) return NULL;
  Slot *slot = calloc(1, sizeof *slot);
  slot->session = session;
  napi_value external;
  if (napi_create_external(e, slot, release_session, NULL, &external) != napi_ok) {
    api->ReleaseSession(session);
    free(slot);
    throw_last(e);
    return NULL;
  }
  return external;
}

static napi_value release(napi_env e, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  NAPI_OK(napi_get_cb_info(e, info, &argc, argv, NULL, NULL));
  Slot *slot = NULL;
  NAPI_OK(napi_get_value_external(e, argv[0], (void **)&slot));
  slot->released = true;
  settle(slot);
  return NULL;
}

typedef struct {
  Slot *slot;
  size_t inputs, outputs;
  char **names; /* inputs then outputs */
  OrtValue **values; /* inputs then outputs; an output NULL where ONNX Runtime allocates it */
  napi_ref *arrays; /* the typed arrays of `values`, held until the run ends; NULL for an allocated output */
  napi_ref session_ref;
  napi_deferred deferred;
  napi_async_work work;
  OrtStatus *status;
} Run;

static void free_run(napi_env e, Run *r) {
  size_t total = r->inputs + r->outputs;
  for (size_t i = 0; i < total; i++) {
    free(r->names[i]);
    if (r->values[i]) api->ReleaseValue(r->values[i]);
    if (r->arrays[i]) napi_delete_reference(e, r->arrays[i]);
  }
  if (r->slot) {
    r->slot->running--;
    settle(r->slot);
  }
  if (r->session_ref) napi_delete_reference(e, r->session_ref);
  if (r->work) napi_delete_async_work(e, r->work);
  free(r->names);
  free(r->values);
  free(r->arrays);
  free(r);
}

static void execute(napi_env e, void *data) {
  (void)e;
  Run *r = data;
  r->status = api->Run(r->slot->session, NULL, (const char *const *)r->names, (const OrtValue *const *)r->values, r->inputs,
                       (const char *const *)(r->names + r->inputs), r->outputs, r->values + r->inputs);
}

static void finalize_value(napi_env e, void *data, void *hint) {
  (void)e;
  (void)data;
  api->ReleaseValue((OrtValue *)hint);
}

/* The output ONNX Runtime allocated, as a typed array over its own memory (a copy where external buffers are refused: Electron). */
static napi_value allocated_output(napi_env e, OrtValue **value) {
  OrtTensorTypeAndShapeInfo *shape = NULL;
  OrtStatus *status = api->GetTensorTypeAndShape(*value, &shape);
  if (failed(e, status)) return NULL;
  ONNXTensorElementDataType element;
  size_t count = 0, rank = 0;
  int64_t dims[16];
  status = api->GetTensorElementType(shape, &element);
  if (!status) status = api->GetTensorShapeElementCount(shape, &count);
  if (!status) status = api->GetDimensionsCount(shape, &rank);
  if (!status && rank > 16) {
    api->ReleaseTensorTypeAndShapeInfo(shape);
    napi_throw_error(e, NULL, "an output of more than 16 dimensions");
    return NULL;
  }
  if (!status) status = api->GetDimensions(shape, dims, rank);
  api->ReleaseTensorTypeAndShapeInfo(shape);
  if (failed(e, status)) return NULL;
  const ElementType *kind = element_type((int)element, -1);
  if (!kind) {
    napi_throw_error(e, NULL, "an output that is neither float32 nor float64");
    return NULL;
  }
  size_t size = kind->size;
  void *raw = NULL;
  if (failed(e, api->GetTensorMutableData(*value, &raw))) return NULL;
  napi_value buffer;
  napi_status made = count ? napi_create_external_arraybuffer(e, raw, count * size, finalize_value, *value, &buffer) : napi_generic_failure;
  if (made == napi_ok) {
    *value = NULL; /* the ArrayBuffer owns it now */
  } else {
    void *copy = NULL;
    NAPI_OK(napi_create_arraybuffer(e, count * size, &copy, &buffer));
    if (count) memcpy(copy, raw, count * size);
  }
  napi_value array, shapeArray, result;
  NAPI_OK(napi_create_typedarray(e, kind->array, count, buffer, 0, &array));
  NAPI_OK(napi_create_array_with_length(e, rank, &shapeArray));
  for (size_t d = 0; d < rank; d++) {
    napi_value dim;
    NAPI_OK(napi_create_int64(e, dims[d], &dim));
    NAPI_OK(napi_set_element(e, shapeArray, (uint32_t)d, dim));
  }
  NAPI_OK(napi_create_object(e, &result));
  NAPI_OK(napi_set_named_property(e, result, "data", array));
  NAPI_OK(napi_set_named_property(e, result, "dims", shapeArray));
  return result;
}

static void complete(napi_env e, napi_status s, void *data) {
  Run *r = data;
  if (s != napi_ok || r->status) {
    char message[1024];
    if (r->status) {
      snprintf(message, sizeof message, "%s", api->GetErrorMessage(r->status));
      api->ReleaseStatus(r->status);
    } else {
      snprintf(message, sizeof message, "the run was cancelled");
    }
    napi_value text, error;
    napi_create_string_utf8(e, message, NAPI_AUTO_LENGTH, &text);
    napi_create_error(e, NULL, text, &error);
    napi_reject_deferred(e, r->deferred, error);
    free_run(e, r);
    return;
  }
  napi_value results;
  napi_create_array_with_length(e, r->outputs, &results);
  for (size_t k = 0; k < r->outputs; k++) {
    size_t i = r->inputs + k;
    napi_value out = NULL;
    if (r->arrays[i]) {
      napi_value array;
      napi_get_reference_value(e, r->arrays[i], &array);
      napi_create_object(e, &out);
      napi_set_named_property(e, out, "data", array);
    } else {
      out = allocated_output(e, &r->values[i]);
      if (!out) {
        napi_value error;
        napi_get_and_clear_last_exception(e, &error);
        napi_reject_deferred(e, r->deferred, error);
        free_run(e, r);
        return;
      }
    }
    napi_set_element(e, results, (uint32_t)k, out);
  }
  napi_resolve_deferred(e, r->deferred, results);
  free_run(e, r);
}

/* A tensor over a typed array's own memory, with `dims` (a JavaScript array of integers). */
static OrtValue *tensor_of(napi_env e, napi_value array, napi_value dimsValue) {
  napi_typedarray_type type;
  size_t length;
  void *data;
  napi_value buffer;
  size_t offset;
  NAPI_OK(napi_get_typedarray_info(e, array, &type, &length, &data, &buffer, &offset));
  const ElementType *kind = element_type(-1, (int)type);
  if (!kind) {
    napi_throw_type_error(e, NULL, "a tensor's data must be a Float32Array or a Float64Array");
    return NULL;
  }
  size_t size = kind->size;
  uint32_t rank = 0;
  NAPI_OK(napi_get_array_length(e, dimsValue, &rank));
  if (rank > 16) {
    napi_throw_range_error(e, NULL, "a tensor of more than 16 dimensions");
    return NULL;
  }
  int64_t dims[16];
  size_t count = 1;
  for (uint32_t d = 0; d < rank; d++) {
    napi_value dim;
    NAPI_OK(napi_get_element(e, dimsValue, d, &dim));
    NAPI_OK(napi_get_value_int64(e, dim, &dims[d]));
    if (dims[d] < 0) {
      napi_throw_range_error(e, NULL, "a negative dimension");
      return NULL;
    }
    count *= (size_t)dims[d];
  }
  if (count != length) {
    napi_throw_range_error(e, NULL, "a tensor's dims do not match its data's length");
    return NULL;
  }
  OrtValue *value = NULL;
  /* A zero-length array may have no memory; the runtime wants a pointer all the same. */
  static double empty;
  if (failed(e, api->CreateTensorWithDataAsOrtValue(cpu, length ? data : &empty, length * size, dims, rank, kind->element, &value)))
    return NULL;
  return value;
}

static napi_value run(napi_env e, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  NAPI_OK(napi_get_cb_info(e, info, &argc, argv, NULL, NULL));
  if (argc < 7) {
    napi_throw_type_error(e, NULL, "run(session, inputNames, inputs, inputDims, outputNames, outputs, outputDims)");
    return NULL;
  }
  Slot *slot = NULL;
  NAPI_OK(napi_get_value_external(e, argv[0], (void **)&slot));
  if (slot->released || !slot->session) {
    napi_throw_error(e, NULL, "the session was released");
    return NULL;
  }
  uint32_t inputs = 0, outputs = 0;
  NAPI_OK(napi_get_array_length(e, argv[1], &inputs));
  NAPI_OK(napi_get_array_length(e, argv[4], &outputs));
  Run *r = calloc(1, sizeof *r);
  size_t total = (size_t)inputs + outputs;
  r->slot = slot;
  slot->running++;
  r->inputs = inputs;
  r->outputs = outputs;
  r->names = calloc(total ? total : 1, sizeof *r->names);
  r->values = calloc(total ? total : 1, sizeof *r->values);
  r->arrays = calloc(total ? total : 1, sizeof *r->arrays);
  for (size_t i = 0; i < total; i++) {
    bool isInput = i < inputs;
    uint32_t k = (uint32_t)(isInput ? i : i - inputs);
    napi_value name, array, dims;
    napi_valuetype kind;
    char text[1024];
    size_t length = 0;
    if (napi_get_element(e, argv[isInput ? 1 : 4], k, &name) != napi_ok ||
        napi_get_value_string_utf8(e, name, text, sizeof text, &length) != napi_ok ||
        napi_get_element(e, argv[isInput ? 2 : 5], k, &array) != napi_ok || napi_typeof(e, array, &kind) != napi_ok) {
      throw_last(e);
      free_run(e, r);
      return NULL;
    }
    r->names[i] = strdup(text);
    if (!isInput && (kind == napi_null || kind == napi_undefined)) continue;
    if (napi_get_element(e, argv[isInput ? 3 : 6], k, &dims) != napi_ok) {
      throw_last(e);
      free_run(e, r);
      return NULL;
    }
    r->values[i] = tensor_of(e, array, dims);
    if (!r->values[i] || napi_create_reference(e, array, 1, &r->arrays[i]) != napi_ok) {
      free_run(e, r);
      return NULL;
    }
  }
  napi_value promise, resource;
  if (napi_create_reference(e, argv[0], 1, &r->session_ref) != napi_ok || napi_create_promise(e, &r->deferred, &promise) != napi_ok ||
      napi_create_string_utf8(e, "ortDirect.run", NAPI_AUTO_LENGTH, &resource) != napi_ok ||
      napi_create_async_work(e, NULL, resource, execute, complete, r, &r->work) != napi_ok || napi_queue_async_work(e, r->work) != napi_ok) {
    throw_last(e);
    free_run(e, r);
    return NULL;
  }
  return promise;
}

static napi_value init(napi_env e, napi_value exports) {
  napi_property_descriptor methods[] = {
      {"open", NULL, open_runtime, NULL, NULL, NULL, napi_enumerable, NULL},
      {"createSession", NULL, create_session, NULL, NULL, NULL, napi_enumerable, NULL},
      {"run", NULL, run, NULL, NULL, NULL, napi_enumerable, NULL},
      {"release", NULL, release, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  if (napi_define_properties(e, exports, sizeof methods / sizeof methods[0], methods) != napi_ok) return NULL;
  return exports;
}

NAPI_MODULE_INIT() { return init(env, exports); }
