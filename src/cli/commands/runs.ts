/**
 * The commands on recorded runs: `record` a model, `query` a slice of a run, list the `runs`, the
 * run's `findings`, and its `report`. Each parses its own arguments in its module (their options
 * come from tables of their own: the recording settings, the query fields) with the options object
 * its descriptor holds, and answers HELP_ASKED for --help; the help printed is the descriptor's.
 */
import { FINDINGS_OPTIONS, runFindings } from '../findings';
import { MEASURE_OPTIONS, runMeasure } from '../measure';
import { QUERY_OPTIONS, runQuery, runRuns, RUNS_OPTIONS } from '../query';
import { RECORD_OPTIONS, runRecord } from '../record';
import { REPORT_OPTIONS, runReport } from '../report';
import { recordHelp } from '../usage';
import { TAB_TITLES, VIEW_IDS } from '../../contract/views';
import { BACKENDS } from '../../contract/recordSettings';
import { EXECUTION_PROVIDERS } from '../../contract/recordSettings';
import type { Command } from './descriptor';

export const RECORD: Command = {
  name: 'record',
  lines: [{ usage: 'record MODEL [--dataset D] [--epochs N] …', what: 'train and record a model (the dCNN hypercube)' }],
  help: recordHelp(),
  options: RECORD_OPTIONS,
  run: (argv, { io, verbose }) => runRecord(argv, io, verbose),
};

export const QUERY: Command = {
  name: 'query',
  lines: [{ usage: 'query RUN KIND [options]', what: 'any slice of a recorded run, as JSON (see query --help)' }],
  help: `Usage: cnn-slicer query <run-folder> <kind> [options]

Prints the JSON answer of one slice query dCNN(x, l, c, t) on a recorded run (docs/queries.md).
Kinds: run, training, confusion, inputs, featureMaps, channelEntropies, smallMultiples,
interSample, inputDiversity, capacityMatrix, layerCapacity, channelPair, deconvolution,
networkGraph, channelLabelInformation, informationPlane, ablation, channelImportance,
channelImportanceEstimate, findings (their fields with --json).
  --epoch T            recorded epoch            --layer L     layer index (0 = input) or name
  --channel C          one channel               --channels C1,C2,…
  --layer-i L, --layer-j L, --channel-i C, --channel-j C    layer pair / channel pair
                       a layer's name: exact, or a part that begins or ends one name only
  --bins B             distance bins (default: the run's)
  --sizes S1,S2,…      inputDiversity sizes per class  --source probe|dataset
  inputs x (default: all probe inputs):
  --class C | --classes C1,C2 | --inputs I1,I2,… | --per-class N [--classes …] [--seed S]
  --cells              confusion: list the inputs in each cell
  --mode zero|mean     ablation, channelImportance: replace channels by 0 (default) or their mean
  --exhaustive         channelImportance: ablate every channel (default: every channel's Taylor
                       estimate, the 8 it ranks most costly and 8 more at random ablated exactly)
  --exact N            channelImportance: ablate N channels exactly beside the estimates (half the
                       most costly by estimate, half at random; 0: the estimates alone)
  --clusters K         networkGraph: clusters per layer (default about √channels)
  --layers L1,L2,…     networkGraph: cluster only these layers (default every layer with channels)
                       channelImportanceEstimate: estimate only these layers (default every layer);
                       each an index or a name, as --layer takes it
  --json '{…}'         the query fields as JSON; an option given beside it overrides its field
                       (an option or field the kind does not take is refused)
  --pretty             indented output`,
  options: QUERY_OPTIONS,
  run: (argv, { io }) => runQuery(argv, io),
};

export const RUNS: Command = {
  name: 'runs',
  lines: [{ usage: 'runs [FOLDER]', what: 'list recorded runs (default .cnnslicer/runs)' }],
  help: `Usage: cnn-slicer runs [<runs-folder>] [--json]

Lists the runs in a runs folder (default .cnnslicer/runs) with status, model, dataset and epochs.`,
  options: RUNS_OPTIONS,
  run: (argv, { io }) => runRuns(argv, io),
};

export const MEASURE: Command = {
  name: 'measure',
  lines: [{ usage: 'measure RUN [--follow]', what: "compute a PyTorch run's measures from its checkpoints" }],
  help: `Usage: cnn-slicer measure <run-folder> [--follow] [--provider P] [--backend B]

Computes the measures of a PyTorch run's epochs (docs/pytorch.md): every per-layer measure and the
label entropies, from each epoch's ONNX checkpoint, with the engine that measures TensorFlow.js
recordings; each epoch's complete line is appended to its metrics.jsonl. The forward passes run on
the native engine (ONNX Runtime, every core; docs/native-engine.md), or on WebAssembly where it
cannot load, saying why once. The Python recorder
starts it beside the training where node is on the PATH; query, findings and report run it first
on a run that still has epochs to measure. One measurer per run: it holds the run's measuring.lock
while it measures; where another process holds it, measure leaves in one line (exit code 0) and
measure --follow waits for a holder that does not follow.
  --follow      keep measuring epochs as they land, until the recorder has stopped
  --provider P  where the native engine runs: ${EXECUTION_PROVIDERS.join(', ')} (default: $CNN_SLICER_PROVIDER, else cpu);
                a GPU provider that cannot load falls back to the CPU, saying why
  --backend B   TensorFlow.js's backend where the native engine is not used: ${BACKENDS.join(', ')} (default auto)`,
  options: MEASURE_OPTIONS,
  run: (argv, { io }) => runMeasure(argv, io),
};

export const FINDINGS: Command = {
  name: 'findings',
  lines: [{ usage: 'findings RUN [--epoch T] [--json]', what: "what the measures say about the model, at each layer's line" }],
  help: `Usage: cnn-slicer findings <run-folder> [--epoch T] [--json [--pretty]]

Prints what the recorded measures say about the model at epoch T (default: the last recorded): dead,
near-duplicate and uninformative channels (each with the measured effect of zeroing them), layers
where label information drops or that change nothing, measures at their ceiling, probe loss rising
while training loss falls, classes never predicted. One row per finding: severity, layer, the
layer's file:line, and the finding; then the rules that could not be checked, and why. Every rule
and its threshold: docs/estimators.md "Findings".
  --epoch T   a recorded epoch
  --json      the findings answer as JSON (docs/queries.md)`,
  options: FINDINGS_OPTIONS,
  run: (argv, { io }) => runFindings(argv, io),
};

export const REPORT: Command = {
  name: 'report',
  lines: [
    { usage: 'report RUN [--out report.html] [--pairs I:J,…]', what: "the run's views as one self-contained HTML file" },
    { usage: 'report RUN RUN [RUN …] [--out report.html]', what: 'several runs compared in one self-contained HTML file' },
  ],
  help: `Usage: cnn-slicer report <run-folder> [--out FILE] [options]
       cnn-slicer report <run-folder> <run-folder> [<run-folder> …] [--out FILE] [--theme T]

Writes one self-contained HTML file with the views of the run over precomputed answers
(${VIEW_IDS.map((id) => TAB_TITLES[id]).join(', ')}): open it in any browser, no server, nothing remote.
  --out FILE                    where to write it (default <run-id>-report.html)
  --epochs N                    epochs with forward-pass answers (capacity, feature maps, confusion
                                cells), evenly spread, first and last always (default 6)
  --deconvolution-channels N    channels per layer with a deconvolution at the last of them (default 16;
                                deep models: at most 128 deconvolutions in all unless given)
  --dataset-diversity           add the input diversity of the whole dataset (reads it again)
  --pairs I:J,I:J,…             layer index pairs (I on the columns, J on the rows) whose capacity is
                                precomputed besides the consecutive ones, e.g. 1:3,1:5 for the paper's
                                Fig. 12; every layer named must have several channels
  --theme light|dark|high-contrast   the theme it opens in (default light; switchable in the page)
  --max-mb N                    largest the page may be (default 25): the largest answers beyond it are
                                left out, each with a note in its place, and listed on the output
  --max-seconds N               how long the report may take (default 60), a bound: 3 s before it
                                (a tenth of a shorter one), the answer computing is cancelled and no
                                other started (cached ones are free); each left out has a note, none
                                is shown in part, and the page is written; a second run of the same
                                report reuses the cache

With several run folders it writes one comparison instead (default comparison-report.html): loss and
accuracy overlaid, the label entropies of a class across runs, each layer's inter-sample and mean
channel entropy side by side (layers matched by position and type; differences are named), and each
run's input diversity, one colour per run. It holds summaries only; --epochs, --pairs,
--deconvolution-channels, --dataset-diversity, --max-mb and --max-seconds apply to a single run's report.`,
  options: REPORT_OPTIONS,
  run: (argv, { io }) => runReport(argv, io),
};
