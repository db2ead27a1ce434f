// What the PyTorch recorder (python/cnn_slicer) records of the Python model fixtures
// (test/fixtures/python-models): each layer's name, class and source position, as
// test/fixtures/python-models/recorded_sources.py prints them (run it again after changing a model
// file). The truth the Python scan (pythonScan.test.ts) and the matching of a run to the text
// (pythonMatching.test.ts) are checked against.

/** A recorded layer: [name, className, line, column (1-based), args], as recorded_sources.py prints it. */
export type Recorded = [string, string, number, number, Record<string, number | number[]> | null];

/** What recorded_sources.py printed: per model, the layers the recorder located in its file. */
export const RECORDED: { file: string; model: string; layers: Recorded[] }[] = [
  {
    file: 'test/fixtures/python-models/attributes.py',
    model: 'Net',
    layers: [
      ['conv1', 'Conv2d', 10, 22, { filters: 6, kernelSize: [5, 5], strides: [1, 1] }],
      ['bn1', 'BatchNorm2d', 11, 20, null],
      ['relu', 'relu', 21, 26, null],
      ['max_pool2d', 'max_pool2d', 21, 13, { poolSize: [2, 2], strides: [2, 2] }],
      ['side', 'Conv2d', 14, 21, { filters: 16, kernelSize: [1, 1], strides: [2, 2] }],
      ['conv2', 'Conv2d', 12, 22, { filters: 16, kernelSize: [3, 3], strides: [1, 1] }],
      ['relu-2', 'relu', 23, 23, null],
      ['pool', 'MaxPool2d', 13, 21, { poolSize: [2, 2], strides: [2, 2] }],
      ['add', 'add', 24, 13, null],
      ['max_pool2d-2', 'max_pool2d', 25, 27, { poolSize: [3, 3], strides: [1, 1] }],
      ['cat', 'cat', 25, 13, null],
      ['fc1', 'Linear', 16, 20, { units: 32 }],
      ['act', 'Tanh', 17, 20, null],
      ['sigmoid', 'sigmoid', 27, 13, null],
      ['fc2', 'Linear', 18, 20, { units: 10 }],
      ['log_softmax', 'log_softmax', 28, 16, null],
    ],
  },
  {
    file: 'test/fixtures/python-models/resnet.py',
    model: 'ResNet',
    layers: [
      ['conv1', 'Conv2d', 36, 22, { filters: 8, kernelSize: [3, 3], strides: [1, 1] }],
      ['bn1', 'BatchNorm2d', 37, 20, null],
      ['relu', 'relu', 51, 15, null],
      ['layer1.0.conv1', 'Conv2d', 11, 22, { filters: 8, kernelSize: [3, 3], strides: [1, 1] }],
      ['layer1.0.bn1', 'BatchNorm2d', 12, 20, null],
      ['layer1.0.relu', 'relu', 24, 15, null],
      ['layer1.0.conv2', 'Conv2d', 13, 22, { filters: 8, kernelSize: [3, 3], strides: [1, 1] }],
      ['layer1.0.bn2', 'BatchNorm2d', 14, 20, null],
      ['layer1.0.add', 'add', 26, 9, null],
      ['layer1.0.relu-2', 'relu', 27, 15, null],
      ['layer1.1.conv1', 'Conv2d', 11, 22, { filters: 8, kernelSize: [3, 3], strides: [1, 1] }],
      ['layer1.1.bn1', 'BatchNorm2d', 12, 20, null],
      ['layer1.1.relu', 'relu', 24, 15, null],
      ['layer1.1.conv2', 'Conv2d', 13, 22, { filters: 8, kernelSize: [3, 3], strides: [1, 1] }],
      ['layer1.1.bn2', 'BatchNorm2d', 14, 20, null],
      ['layer1.1.add', 'add', 26, 9, null],
      ['layer1.1.relu-2', 'relu', 27, 15, null],
      ['layer2.0.conv1', 'Conv2d', 11, 22, { filters: 16, kernelSize: [3, 3], strides: [2, 2] }],
      ['layer2.0.bn1', 'BatchNorm2d', 12, 20, null],
      ['layer2.0.relu', 'relu', 24, 15, null],
      ['layer2.0.conv2', 'Conv2d', 13, 22, { filters: 16, kernelSize: [3, 3], strides: [1, 1] }],
      ['layer2.0.bn2', 'BatchNorm2d', 14, 20, null],
      ['layer2.0.shortcut.0', 'Conv2d', 19, 17, { filters: 16, kernelSize: [1, 1], strides: [2, 2] }],
      ['layer2.0.shortcut.1', 'BatchNorm2d', 20, 17, null],
      ['layer2.0.add', 'add', 26, 9, null],
      ['layer2.0.relu-2', 'relu', 27, 15, null],
      ['layer2.1.conv1', 'Conv2d', 11, 22, { filters: 16, kernelSize: [3, 3], strides: [1, 1] }],
      ['layer2.1.bn1', 'BatchNorm2d', 12, 20, null],
      ['layer2.1.relu', 'relu', 24, 15, null],
      ['layer2.1.conv2', 'Conv2d', 13, 22, { filters: 16, kernelSize: [3, 3], strides: [1, 1] }],
      ['layer2.1.bn2', 'BatchNorm2d', 14, 20, null],
      ['layer2.1.add', 'add', 26, 9, null],
      ['layer2.1.relu-2', 'relu', 27, 15, null],
      ['avg_pool2d', 'avg_pool2d', 54, 15, { poolSize: [8, 8], strides: [8, 8] }],
      ['linear', 'Linear', 40, 23, { units: 10 }],
    ],
  },
  {
    file: 'test/fixtures/python-models/modulelist.py',
    model: 'Tower',
    layers: [
      ['stem', 'Conv2d', 9, 21, { filters: 4, kernelSize: [3, 3], strides: [1, 1] }],
      ['convs.0', 'Conv2d', 10, 36, { filters: 4, kernelSize: [3, 3], strides: [1, 1] }],
      ['norms.0', 'BatchNorm2d', 11, 22, null],
      ['acts.0', 'ReLU', 14, 36, null],
      ['add', 'add', 21, 17, null],
      ['convs.1', 'Conv2d', 10, 22, { filters: 4, kernelSize: [3, 3], strides: [1, 1] }],
      ['norms.1', 'BatchNorm2d', 11, 22, null],
      ['acts.1', 'ReLU6', 14, 47, null],
      ['add-2', 'add', 21, 17, null],
      ['convs.2', 'Conv2d', 10, 22, { filters: 4, kernelSize: [3, 3], strides: [1, 1] }],
      ['norms.2', 'BatchNorm2d', 11, 22, null],
      ['acts.2', 'LeakyReLU', 14, 59, null],
      ['add-3', 'add', 21, 17, null],
      ['pool', 'AdaptiveAvgPool2d', 15, 21, null],
      ['head', 'Linear', 16, 21, { units: 5 }],
    ],
  },
  {
    file: 'test/fixtures/python-models/ordereddict.py',
    model: 'Features',
    layers: [
      ['features.conv0', 'Conv2d', 11, 25, { filters: 6, kernelSize: [3, 3], strides: [1, 1] }],
      ['features.norm0', 'BatchNorm2d', 11, 25, null],
      ['features.relu0', 'ReLU', 11, 25, null],
      ['features.pool0', 'MaxPool2d', 11, 25, { poolSize: [2, 2], strides: [2, 2] }],
      ['classifier.fc', 'Linear', 21, 27, { units: 3 }],
    ],
  },
  {
    file: 'test/fixtures/python-models/aliases.py',
    model: 'Model',
    layers: [
      ['a', 'Conv2d', 13, 18, { filters: 2, kernelSize: [3, 3], strides: [1, 1] }],
      ['relu', 'relu', 20, 13, null],
      ['b', 'Conv2d', 14, 18, { filters: 2, kernelSize: [3, 3], strides: [1, 1] }],
      ['relu-2', 'relu', 21, 13, null],
      ['c', 'Conv2d', 15, 18, { filters: 4, kernelSize: [1, 1], strides: [1, 1] }],
      ['relu-3', 'relu', 22, 13, null],
      ['d', 'Conv2d', 16, 18, { filters: 4, kernelSize: [1, 1], strides: [1, 1] }],
      ['sigmoid', 'sigmoid', 23, 13, null],
      ['adaptive_avg_pool2d', 'adaptive_avg_pool2d', 24, 13, null],
      ['fc', 'Linear', 17, 19, { units: 2 }],
    ],
  },
  {
    file: 'python/tests/models.py',
    model: 'LeNet',
    layers: [
      ['conv1', 'Conv2d', 11, 22, { filters: 4, kernelSize: [5, 5], strides: [1, 1] }],
      ['relu', 'relu', 18, 23, null],
      ['pool', 'MaxPool2d', 12, 21, { poolSize: [2, 2], strides: [2, 2] }],
      ['conv2', 'Conv2d', 13, 22, { filters: 8, kernelSize: [5, 5], strides: [1, 1] }],
      ['bn', 'BatchNorm2d', 14, 19, null],
      ['relu-2', 'relu', 19, 23, null],
      ['pool-2', 'MaxPool2d', 12, 21, { poolSize: [2, 2], strides: [2, 2] }],
      ['fc', 'Linear', 15, 19, { units: 10 }],
    ],
  },
  {
    file: 'python/tests/models.py',
    model: 'Nested',
    layers: [
      ['stem.0', 'Conv2d', 45, 35, { filters: 4, kernelSize: [3, 3], strides: [1, 1] }],
      ['stem.1', 'ReLU', 45, 66, null],
      ['layer1.0.conv', 'Conv2d', 26, 21, { filters: 4, kernelSize: [3, 3], strides: [1, 1] }],
      ['layer1.0.bn', 'BatchNorm2d', 27, 19, null],
      ['layer1.0.relu', 'ReLU', 28, 21, null],
      ['layer1.0.shortcut.0', 'Conv2d', 31, 13, { filters: 4, kernelSize: [1, 1], strides: [1, 1] }],
      ['layer1.0.shortcut.1', 'BatchNorm2d', 32, 13, null],
      ['layer1.0.add', 'add', 37, 9, null],
      ['layer1.0.relu-2', 'relu', 38, 15, null],
      ['layer1.0.relu-3', 'ReLU', 28, 21, null],
      ['layer1.1.conv', 'Conv2d', 26, 21, { filters: 4, kernelSize: [3, 3], strides: [1, 1] }],
      ['layer1.1.bn', 'BatchNorm2d', 27, 19, null],
      ['layer1.1.relu', 'ReLU', 28, 21, null],
      ['layer1.1.shortcut.0', 'Conv2d', 31, 13, { filters: 4, kernelSize: [1, 1], strides: [1, 1] }],
      ['layer1.1.shortcut.1', 'BatchNorm2d', 32, 13, null],
      ['layer1.1.add', 'add', 37, 9, null],
      ['layer1.1.relu-2', 'relu', 38, 15, null],
      ['layer1.1.relu-3', 'ReLU', 28, 21, null],
      ['layer1.2', 'ReLU', 53, 23, null],
      ['adaptive_avg_pool2d', 'adaptive_avg_pool2d', 58, 13, null],
      ['fc', 'Linear', 47, 19, { units: 3 }],
    ],
  },
  {
    file: 'python/tests/models.py',
    model: 'Sequential',
    layers: [
      ['0.conv', 'Conv2d', 26, 21, { filters: 2, kernelSize: [3, 3], strides: [1, 1] }],
      ['0.bn', 'BatchNorm2d', 27, 19, null],
      ['0.relu', 'ReLU', 28, 21, null],
      ['0.shortcut.0', 'Conv2d', 31, 13, { filters: 2, kernelSize: [1, 1], strides: [1, 1] }],
      ['0.shortcut.1', 'BatchNorm2d', 32, 13, null],
      ['0.add', 'add', 37, 9, null],
      ['0.relu-2', 'relu', 38, 15, null],
      ['0.relu-3', 'ReLU', 28, 21, null],
    ],
  },
  {
    file: 'python/tests/models.py',
    model: 'ConvInplaceRelu',
    layers: [
      ['conv', 'Conv2d', 66, 21, { filters: 3, kernelSize: [3, 3], strides: [1, 1] }],
      ['relu', 'ReLU', 67, 21, null],
      ['fc', 'Linear', 68, 19, { units: 2 }],
    ],
  },
  {
    file: 'examples/pytorch/train_lenet.py',
    model: 'LeNet',
    layers: [
      ['conv1', 'Conv2d', 41, 22, { filters: 8, kernelSize: [5, 5], strides: [1, 1] }],
      ['relu', 'relu', 49, 24, null],
      ['pool1', 'MaxPool2d', 42, 22, { poolSize: [2, 2], strides: [2, 2] }],
      ['conv2', 'Conv2d', 43, 22, { filters: 16, kernelSize: [5, 5], strides: [1, 1] }],
      ['relu-2', 'relu', 50, 24, null],
      ['pool2', 'MaxPool2d', 44, 22, { poolSize: [2, 2], strides: [2, 2] }],
      ['dense1', 'Linear', 45, 23, { units: 64 }],
      ['relu-3', 'relu', 51, 13, null],
      ['output', 'Linear', 46, 23, { units: 10 }],
    ],
  },
  {
    file: 'test/fixtures/python-models/mobilenet.py',
    model: 'MobileNet',
    layers: [
      ['model.0.0', 'Conv2d', 8, 9, { filters: 8, kernelSize: [3, 3], strides: [2, 2] }],
      ['model.0.1', 'BatchNorm2d', 9, 9, null],
      ['model.0.2', 'ReLU', 10, 9, null],
      ['model.1.0', 'Conv2d', 16, 9, { filters: 8, kernelSize: [3, 3], strides: [1, 1] }],
      ['model.1.1', 'BatchNorm2d', 17, 9, null],
      ['model.1.2', 'ReLU', 18, 9, null],
      ['model.1.3', 'Conv2d', 19, 9, { filters: 16, kernelSize: [1, 1], strides: [1, 1] }],
      ['model.1.4', 'BatchNorm2d', 20, 9, null],
      ['model.1.5', 'ReLU', 21, 9, null],
      ['model.2.0', 'Conv2d', 16, 9, { filters: 16, kernelSize: [3, 3], strides: [2, 2] }],
      ['model.2.1', 'BatchNorm2d', 17, 9, null],
      ['model.2.2', 'ReLU', 18, 9, null],
      ['model.2.3', 'Conv2d', 19, 9, { filters: 16, kernelSize: [1, 1], strides: [1, 1] }],
      ['model.2.4', 'BatchNorm2d', 20, 9, null],
      ['model.2.5', 'ReLU', 21, 9, null],
      ['model.3', 'AdaptiveAvgPool2d', 32, 13, null],
      ['fc', 'Linear', 34, 19, { units: 10 }],
    ],
  },
];

/**
 * The classes each file's recorded models use: every layer the scan finds in them must be one the
 * recorder located (the other classes of python/tests/models.py are models the recorder refuses).
 */
export const USED_CLASSES: Record<string, string[] | undefined> = {
  'python/tests/models.py': ['LeNet', 'Block', 'Nested', 'ConvInplaceRelu'],
};

/**
 * Layers the recorder does not follow into their container's entries and locates at the start of
 * the container's construction (python/cnn_slicer/sources.py, rule 3; for entry 0 of a
 * comprehension, at the comprehension): the keys of an OrderedDict, the members of a comprehension,
 * a ModuleList filled by append. The scan locates them where they are constructed.
 */
export const RECORDED_AT_CONTAINER: Record<string, string[] | undefined> = {
  'test/fixtures/python-models/modulelist.py': ['convs.0', 'convs.1', 'convs.2', 'norms.0', 'norms.1', 'norms.2'],
  'test/fixtures/python-models/ordereddict.py': ['features.conv0', 'features.norm0', 'features.relu0', 'features.pool0', 'classifier.fc'],
};
