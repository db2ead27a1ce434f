import assert from 'node:assert/strict';
import path from 'node:path';
import { filesBelow } from '../../support/repositoryFiles';

// A unit test is named after the module it tests and sits in the folder that mirrors the module's:
// the test of src/extension/detection/lexer.ts is test/unit/extension/detection/lexer.test.ts, the
// test of webview/charts/networkLayout.ts is test/unit/webview/charts/networkLayout.test.ts. So the
// test of a module is found from the module's path, and a module without a test is seen at a glance
// (docs/testing.md, "Where a test goes"). A test that states a behaviour spanning several modules (a
// recording end to end, the CLI's refusals) keeps a descriptive name in the folder of its main
// module and is listed in FEATURE_TESTS with the reason. layout.test.ts checks the top folder alone.

/** The tiers whose tests mirror the source folders: in-process unit tests, and those with processes or the build. */
const MIRRORED_TIERS = ['test/unit', 'test/integration'];

/** Folders of a tier whose tests test no module: the repository's rules. */
const NO_MODULE_FOLDERS = new Set(['repository']);

/** Top-level folders that hold modules a unit test may test, besides the folders of src/. */
const TOP_LEVEL_SOURCES = ['webview', 'bench', 'docs', 'examples', 'scripts'];

/** A module's file: TypeScript or JavaScript, not a declaration file. */
const MODULE = /^(?!.*\.d\.ts$).*\.(ts|tsx|mts|cts|js|mjs|cjs)$/;

/**
 * Tests that state a behaviour spanning modules, named after the behaviour: path below its tier's
 * folder (test/unit or test/integration) → why no single module names it. Every other test is named
 * after its module.
 */
const FEATURE_TESTS: Record<string, string> = {
  'analysis/binnedSymbols.test.ts': 'the binning of binning.ts as labelInformation.ts turns activations into symbols',
  'analysis/jointHistogramsLargeCounts.test.ts': 'capacity with counts past 2^24 through the joint histograms and the estimators',
  'bench/benchCli.test.ts': "the bench's command line: usage.ts's checks and the built dist/bench.js",
  'cli/badInput.test.ts': 'every command refuses bad input in one line (docs/testing.md, "Bad input")',
  'cli/cli.test.ts': 'the built command line end to end (dist/cli.js)',
  'cli/cliMi.test.ts': 'the `mi` command end to end',
  'cli/recordControl.test.ts': "`record --control`: the CLI's options through the recorder",
  'cli/reportBudget.test.ts': "the report's size budget: report.ts, reportAnswers.ts and the report codec",
  'cli/reportCompare.test.ts': 'the comparison report of several runs end to end',
  'cli/reportSize.test.ts': "the report's 8-bit pictures from the engine to the page's data source",
  'cli/reportSubsets.test.ts': "the report's per-class answers under the size budget and their notes",
  'cli/runsModelName.test.ts': '`runs`: model names through the listing index and the run paths',
  'compute/poolChunks.test.ts': "the compute pool with the workers' chunked kernels on float32 samples",
  'contract/networkPlan.test.ts': "plan.ts's Network view queries (plan.ts has one test per view)",
  'contract/reportSubsets.test.ts': "plan.ts's input subsets of a report (plan.ts has one test per view)",
  'contract/stripPlan.test.ts': "plan.ts's Layer view strips (plan.ts has one test per view)",
  'docs/docsStandAlone.test.ts': 'the documents as a whole: links, names and paths they mention',
  'extension/detection/layerArgsMatching.test.ts':
    'unnamed layers matched on their options, through detectModel, layerMatching and the hover',
  'extension/detection/pythonMatching.test.ts':
    "a PyTorch run's layers on a Python file's definitions: layerMatching.ts and sourcePosition.ts on what pythonScan.ts finds",
  'extension/recording/ownDatasetDetail.test.ts': "the dataset step of the Analyze CNN quick input (flowItems.ts's ownDatasetDetail)",
  'extension/recording/trainingSettings.test.ts': 'the optimizer and learning-rate rows: flowItems, modelTraining and trainingExport',
  'extension/runs/menus.test.ts': "the runs tree's menus as package.json contributes them",
  'extension/runs/recordAgain.test.ts': 'Record Again: runDisplay → flowItems → recordOptions → the recorder settings',
  'extension/runs/runTooltipBackendReason.test.ts': "a run's tooltip when native TensorFlow is missing (runDisplay.ts)",
  'recorder/batchParts.test.ts': 'batches in parts: halfBatchGradients, training and twoCoreTraining',
  'recorder/channelsFirstLayers.test.ts': 'channels-first layers recorded and queried end to end',
  'recorder/kerasModelJson.test.ts': "Keras model.json files: kerasTopology's translation, loaded and recorded",
  'recorder/layerArgs.test.ts': "the layer options modelLoader keeps for the editor's matcher",
  'recorder/recordSeed.test.ts': 'a recording is reproducible from its seed (recordRun end to end)',
  'recorder/recordTrainThreads.test.ts': 'recording on one or two training threads (recordRun end to end)',
  'recorder/recordTrainingCheck.test.ts': "a recording's training check (recordRun end to end)",
  'recorder/userModels.test.ts': 'models as users write them, recorded end to end',
  'rpc/rpcWorkers.test.ts': 'the typed channel across real worker threads (pool, forward helper, recorder)',
  'service/deadLayer.test.ts': 'a dead layer recorded and queried end to end',
  'service/deconvolution.test.ts': "deconvolution: src/tfjs/deconvolution and the service's handler",
  'service/everyCommonLayer.test.ts': 'every common layer recorded, queried by every kind, reported',
  'service/findings/findingWords.test.ts': 'the words of findings on every surface: CLI, editor and views',
  'service/findingsMemory.test.ts': 'findings under a small activation budget (the engine with SplitForward)',
  'service/findingsProbeLoss.test.ts': 'the probe-loss rule reading the checkpoints through the engine',
  'service/labelInformationQueries.test.ts': 'the label information queries on a recorded run',
  'service/queryKinds.test.ts': 'each query kind has one descriptor, one handler and one plan builder',
  'service/runService.test.ts': 'damaged run folders through the analysis service',
  'service/service.test.ts': 'the analysis service end to end (docs/queries.md)',
  'service/trainingSubset.test.ts': 'the training query with an input subset, end to end',
  'tfjs/backendSelection.test.ts': "backend selection through the CLI's options and backend.ts",
  'tfjs/trainingKernels.test.ts': 'the WASM training kernels against tfjs (wasmKernels, trainingCheck)',
  'webview/charts/narrowCharts.test.ts': 'charts in a narrow panel: common.ts fitWidth and matrixGrid.ts',
  'webview/charts/pictures.test.ts':
    "picture snapshots of every SVG chart of webview/charts/, drawn in jsdom (docs/testing.md, 'Picture tests')",
  'webview/views/information/importanceFindings.test.ts':
    'the importance card and the Findings list: importance.ts, findingsText, the plan',
  'webview/views/information/informationView.test.ts': "the Information view's plan and redundancy (not InformationView.tsx)",
  'webview/views/layer/layerScale.test.ts': "the Layer view's scales: capacityHeatmapCanvas and scalePairs",
  'webview/views/viewStateSchemas.test.ts': 'the persisted state schemas of the Query, Training and Compare views',
};

/** The name a module's test bears: its file name without the extension, kebab-case in camelCase. */
function testNameOf(moduleFile: string): string {
  return path.posix
    .basename(moduleFile)
    .replace(/\.[^.]+$/, '')
    .replace(/-(\w)/g, (_, c: string) => c.toUpperCase());
}

/**
 * What breaks the naming among `tests` (paths below a tier's folder, e.g. 'run/store.test.ts'), given the
 * modules (repository-relative paths, e.g. 'src/run/store.ts') and the feature tests: one line per
 * problem, naming the file and what to do.
 */
function nameProblems(tests: string[], modules: string[], featureTests: Record<string, string>): string[] {
  // A folder with an index module is a module too (`src/cli/commands/index.ts`: `cli/commands.test.ts`).
  const named = new Set(
    modules
      .filter((m) => MODULE.test(m))
      .flatMap((m) => {
        const dir = path.posix.dirname(m);
        const own = `${dir}/${testNameOf(m)}`;
        return testNameOf(m) === 'index' ? [own, dir] : [own];
      }),
  );
  const problems: string[] = [];
  const isNamed = (test: string): string | undefined => {
    const [area, ...rest] = test.split('/');
    const root = TOP_LEVEL_SOURCES.includes(area) ? area : `src/${area}`;
    const expected = `${root}/${rest.join('/').replace(/\.test\.tsx?$/, '')}`;
    return named.has(expected) ? undefined : expected;
  };
  for (const test of tests) {
    if (!/\.test\.tsx?$/.test(test) || NO_MODULE_FOLDERS.has(test.split('/')[0]) || test in featureTests) continue;
    const expected = isNamed(test);
    if (expected !== undefined)
      problems.push(
        `${test} is named after no module (${expected}.ts or .tsx): name it after the module it tests, in the folder mirroring that module's, or list it in FEATURE_TESTS with the reason`,
      );
  }
  for (const test of Object.keys(featureTests)) {
    if (!tests.includes(test)) problems.push(`${test} is listed in FEATURE_TESTS but does not exist: remove the entry`);
    else if (isNamed(test) === undefined)
      problems.push(`${test} is listed in FEATURE_TESTS but is named after its module: remove the entry`);
  }
  return problems;
}

describe('test names: a unit or integration test is named after the module it tests', () => {
  it('flags a test named after no module or in the wrong folder, and a feature test listed but missing or named after a module', () => {
    const problems = nameProblems(
      [
        'run/store.test.ts',
        'run/storeDamage.test.ts',
        'run/recordEndToEnd.test.ts',
        'extension/lexer.test.ts',
        'extension/detection/lexer.test.ts',
        'webview/charts/networkLayout.test.ts',
        'webview/views/layer/LayerView.test.tsx',
        'scripts/cifar10FromNpm.test.ts',
        'repository/layout.test.ts',
        'run/paths.test.ts',
        'cli/commands.test.ts',
        'cli/verbs.test.ts',
      ],
      [
        'src/run/store.ts',
        'src/run/paths.ts',
        'src/extension/detection/lexer.ts',
        'webview/charts/networkLayout.ts',
        'webview/views/layer/LayerView.tsx',
        'scripts/cifar10-from-npm.mjs',
        'webview/elements.d.ts',
        'src/cli/commands/index.ts',
        'src/cli/verbs/list.ts',
      ],
      {
        'run/recordEndToEnd.test.ts': 'a recording end to end',
        'run/gone.test.ts': 'removed',
        'run/paths.test.ts': 'named after paths.ts',
      },
    );
    assert.deepEqual(
      problems.map((p) => p.split(' ')[0]),
      ['run/storeDamage.test.ts', 'extension/lexer.test.ts', 'cli/verbs.test.ts', 'run/gone.test.ts', 'run/paths.test.ts'],
    );
  });

  it('holds for test/unit and test/integration: every test named after its module, or a feature test listed with its reason', () => {
    const modules = ['src', ...TOP_LEVEL_SOURCES].flatMap(filesBelow);
    const perTier = MIRRORED_TIERS.map((tier) => filesBelow(tier).map((f) => f.slice(tier.length + 1)));
    assert.ok(perTier[0].length > 100 && perTier[1].length > 40, `only ${perTier.map((t) => t.length).join(' and ')} files found`);
    // A feature test may sit in either tier (cli/badInput.test.ts is in both: its refusals in-process, and those that take a process).
    const tests = [...new Set(perTier.flat())];
    assert.deepEqual(nameProblems(tests, modules, FEATURE_TESTS), []);
  });
});
