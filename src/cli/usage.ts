/** The CLI's help texts and its one error type (bad input: exit code 2, one line, no stack). */
import { CodedError, hasErrorCode } from '../analysis';
import { RECORD_SETTINGS, type RecordSettingTable, recordSettingsHelp } from '../contract/recordSettings';

export class UsageError extends CodedError {
  constructor(message: string) {
    super('usage', message, 'UsageError');
  }
  static is(e: unknown): e is UsageError {
    return hasErrorCode(e, 'usage');
  }
}

/** `record --help`: its settings' lines come from their table (src/contract/recordSettings.ts). */
export function recordHelp(table: RecordSettingTable = RECORD_SETTINGS): string {
  return `Usage: cnn-slicer record <model-file> [options]
       cnn-slicer record <run-folder> --control SPEC [options]

Trains the model defined in <model-file> (a .ts/.js module exporting createModel, or a
TensorFlow.js model.json) and records the run folder: checkpoints, probe set and per-epoch
entropies. Prints the run folder on stdout. Ctrl-C cancels after the current batch.
${recordSettingsHelp(table).join('\n')}
  --out DIR             runs folder (default: .cnnslicer/runs beside the model file)
  --model-timeout S     seconds the model file's factory may take to return its model, 1 to 86400
                        (default 60): a factory that never settles stops with a clear message
  --control SPEC        a control experiment for shortcuts of the run in <run-folder>: its model and
                        settings on the same probe, with border:N (keep an N-pixel border) |
                        mask-centre:F (zero the central fraction F) | shuffle-pixels | shuffle-labels
                        (options given override the run's; the run goes beside it; docs/control.md)
Every option is checked before anything is written. The model runs in a child process: the first
Ctrl-C cancels after the current batch (while loading, within 2 s), a second stops it at once
(exit code 130 when nothing finished). Model outputs holding NaN stop the recording with the
epochs before kept.`;
}

export const HELP: Record<string, string> = {
  main: `cnn-slicer — information-theoretic analysis of CNNs (Shen & Shen, 2021)

Usage: cnn-slicer <command> [options]

Commands:
  entropy intra X.npy [--bins 32]                      per-sample intra-sample entropy (bits)
  entropy channels X.npy [--labels Y.npy] [--bins 32]  mean entropy per channel (and per class)
  entropy inter X.npy [--k 1000]                       inter-sample entropy of the set (bits)
  capacity A.npy B.npy [--bins 32] [--sort none|max|mean]
                                                       channel capacity matrix (rows: B, columns: A)
  labels TRUE.npy PRED.npy [--classes C]               confusion matrix and label entropies
  mi pairwise T.npy --labels Y.npy [--bins 32] [--channels]
                                                       I_pair(T;Y): what a layer (each channel) tells of the labels
  mi binned T.npy --labels Y.npy [--bins 30]           information-plane point {ixt, ity, saturated} by binning
  record MODEL [--dataset D] [--epochs N] …             train and record a model (the dCNN hypercube)
  query RUN KIND [options]                             any slice of a recorded run, as JSON (see query --help)
  runs [FOLDER]                                        list recorded runs (default .cnnslicer/runs)
  findings RUN [--epoch T] [--json]                    what the measures say about the model, at each layer's line
  report RUN [--out report.html] [--pairs I:J,…]       the four views as one self-contained HTML file
  report RUN RUN [RUN …] [--out report.html]           several runs compared in one self-contained HTML file
  demo                                                 paper Fig. 5(B) on MNIST, a recorded LeNet, a report

Arrays are [N, H, W, C] (channels last, one channel = one H×W map) or [N, U] (one channel of U units).
Run "cnn-slicer <command> --help" for details. --verbose (any command) shows the stack of an
internal error. Exit codes: 0 success, 2 bad input, 1 internal error or a failed write,
130 record stopped with Ctrl-C before it finished.`,
  intra: `Usage: cnn-slicer entropy intra X.npy [--bins B]

Prints a JSON array with the intra-sample entropy (bits, paper 4.4.2) of every sample X[n]
(the whole sample, all channels together). null marks a sample with no finite value.
  --bins B   histogram bins, integer from 2 to 4096 (default 32)`,
  channels: `Usage: cnn-slicer entropy channels X.npy [--labels Y.npy] [--classes C] [--bins B]

Prints JSON {channels, entropyBits, perClass?, classCounts?, nonFiniteCount}: the mean
intra-sample entropy of each channel over all inputs (paper 4.4.2), and per class when labels
are given (perClass[k][c]). null marks an undefined value.
  --labels Y.npy  integer labels, one per input
  --classes C     number of classes, 1 to 1000 (default: largest label + 1)
  --bins B        histogram bins, integer from 2 to 4096 (default 32)`,
  inter: `Usage: cnn-slicer entropy inter X.npy [--k K]

Prints the inter-sample entropy (bits, paper 4.4.1) of the N samples X[n] as a JSON number,
or null when undefined (N < 3). It grows like log2(N·K): compare sets of similar size only.
  --k K   neighbourhood size, integer >= 2 (default 1000; min(K, N-1) is used)`,
  capacity: `Usage: cnn-slicer capacity A.npy B.npy [--bins B] [--sort none|max|mean]

Prints the channel capacity matrix (bits, paper 5.3.1) between every channel of A (columns)
and every channel of B (rows), for the same N inputs. null marks an undefined value (N < 2).
  --bins B    distance-histogram bins, integer from 2 to 4096 (default 32)
  --sort S    order rows and columns by their max or mean, descending (default none)`,
  labels: `Usage: cnn-slicer labels TRUE.npy PRED.npy [--classes C]

Prints JSON {confusion, hLabelGivenPred, hPredGivenLabel} (paper 5.2): rows of the confusion
matrix are true labels, columns predictions; null marks an undefined entropy (no input).
PRED may hold labels [N] or scores [N, C] (the argmax is taken; a row holding NaN is refused).
  --classes C   number of classes, 1 to 1000 (default: largest label + 1; the matrix is C×C)`,
  mi: `Usage: cnn-slicer mi pairwise T.npy --labels Y.npy [--bins B] [--channels]
       cnn-slicer mi binned T.npy --labels Y.npy [--bins B]

Mutual information between a layer's outputs T ([N, U] or [N, H, W, C]) and the labels Y ([N]).
pairwise prints I_pair(T;Y) in bits as a JSON number: the mutual information between the binned
distance of every pair of inputs and whether the pair shares a label (as the channel capacity bins
distances). It is at most H(S), the entropy of "same label" (about 0.47 bit for ten balanced
classes). null when undefined (N < 2, or one class only).
  --channels    one value per channel (a JSON array), each channel's feature maps on their own
  --bins B      distance-histogram bins, integer from 2 to 4096 (default 32)
binned prints {"ixt": I(X;T), "ity": I(T;Y), "saturated": …} by Shwartz-Ziv & Tishby's binning
(run "cnn-slicer mi binned --help").`,
  miBinned: `Usage: cnn-slicer mi binned T.npy --labels Y.npy [--bins B]

Prints JSON {"ixt", "ity", "saturated"}: every value of T binned on the layer's one min–max range,
each input's tuple of bins one symbol; ixt = I(X;T) = H(T), ity = I(T;Y) = H(T) − Σc p(c) H(T|Y=c).
At most log2 N and H(Y): "saturated": true means every input has its own symbol, so the point
sits at those ceilings and says nothing about the layer (usual with continuous activations).
null marks an undefined value (N < 2; ity also with one class only).
  --bins B      bins, integer from 2 to 4096 (default 30)`,
  record: recordHelp(),
  report: `Usage: cnn-slicer report <run-folder> [--out FILE] [options]
       cnn-slicer report <run-folder> <run-folder> [<run-folder> …] [--out FILE] [--theme T]

Writes one self-contained HTML file with the four views of the run (Query, Training performance,
Layer, Channel) over precomputed answers: open it in any browser, no server, nothing remote.
  --out FILE                    where to write it (default <run-id>-report.html)
  --epochs N                    epochs with forward-pass answers (capacity, feature maps, confusion
                                cells), evenly spread, first and last always (default 6)
  --deconvolution-channels N    channels per layer with a deconvolution at the last of them (default 16;
                                deep models: at most 256 deconvolutions in all unless given)
  --dataset-diversity           add the input diversity of the whole dataset (reads it again)
  --pairs I:J,I:J,…             layer index pairs (I on the columns, J on the rows) whose capacity is
                                precomputed besides the consecutive ones, e.g. 1:3,1:5 for the paper's
                                Fig. 12; every layer named must have several channels
  --theme light|dark|high-contrast   the theme it opens in (default light; switchable in the page)
  --max-mb N                    largest the page may be (default 25): the largest answers beyond it are
                                left out, each with a note in its place, and listed on the output
  --max-seconds N               how long computing may take (default 60): forward-pass answers not
                                computed by then (last epoch first, cached ones are free) are left
                                out with a note; a second run of the same report reuses the cache

With several run folders it writes one comparison instead (default comparison-report.html): loss and
accuracy overlaid, the label entropies of a class across runs, each layer's inter-sample and mean
channel entropy side by side (layers matched by position and type; differences are named), and each
run's input diversity, one colour per run. It holds summaries only; --epochs, --pairs,
--deconvolution-channels, --dataset-diversity, --max-mb and --max-seconds apply to a single run's report.`,
  query: `Usage: cnn-slicer query <run-folder> <kind> [options]

Prints the JSON answer of one slice query dCNN(x, l, c, t) on a recorded run (docs/queries.md).
Kinds: run, training, confusion, inputs, featureMaps, channelEntropies, smallMultiples,
interSample, inputDiversity, capacityMatrix, layerCapacity, channelPair, deconvolution,
networkGraph, channelLabelInformation, informationPlane, ablation, channelImportance, findings
(their fields with --json).
  --epoch T            recorded epoch            --layer L     layer index (0 = input)
  --channel C          one channel               --channels C1,C2,…
  --layer-i L, --layer-j L, --channel-i C, --channel-j C    layer pair / channel pair
  --bins B             distance bins (default: the run's)
  --sizes S1,S2,…      inputDiversity sizes per class  --source probe|dataset
  inputs x (default: all probe inputs):
  --class C | --classes C1,C2 | --inputs I1,I2,… | --per-class N [--classes …] [--seed S]
  --cells              confusion: list the inputs in each cell
  --mode zero|mean     ablation, channelImportance: replace channels by 0 (default) or their mean
  --clusters K         networkGraph: clusters per layer (default about √channels)
  --layers L1,L2,…     networkGraph: cluster only these layers (default every layer with channels)
  --json '{…}'         the query fields as JSON; an option given beside it overrides its field
                       (an option or field the kind does not take is refused)
  --pretty             indented output`,
  findings: `Usage: cnn-slicer findings <run-folder> [--epoch T] [--json [--pretty]]

Prints what the recorded measures say about the model at epoch T (default: the last recorded): dead,
near-duplicate and uninformative channels (each with the measured effect of zeroing them), layers
where label information drops or that change nothing, measures at their ceiling, probe loss rising
while training loss falls, classes never predicted. One row per finding: severity, layer, the
layer's file:line, and the finding; then the rules that could not be checked, and why. Every rule
and its threshold: docs/estimators.md "Findings".
  --epoch T   a recorded epoch
  --json      the findings answer as JSON (docs/queries.md)`,
  runs: `Usage: cnn-slicer runs [<runs-folder>] [--json]

Lists the runs in a runs folder (default .cnnslicer/runs) with status, model, dataset and epochs.`,
  demo: `Usage: cnn-slicer demo [--k K] [--seed S] [--epochs N] [--out DIR]

1. Measures the input diversity of the built-in MNIST digits as in the paper's Fig. 5(B): the
   inter-sample entropy of the whole dataset made of 100, 500 and all digits of every class, beside
   the paper's values, then the same draws class by class.
2. Records examples/mnist-lenet.ts on MNIST and prints, per layer, the inter-sample entropy, mean
   channel entropy and dead channels at the first and last epoch, then where each layer sits on
   the information plane (pairwise and binned I(X;T), I(T;Y)) at those epochs.
3. Prints the run's findings, and how well each channel measure of conv2 and dense1 predicts what
   ablating the channel costs (Spearman's rank correlation with Δ loss).
  --k K        neighbourhood size (default 1000)
  --seed S     seed of the subsets, split and weights (default 1)
  --epochs N   training epochs (default 3)
  --out DIR    runs folder (default .cnnslicer/runs in the current folder)`,
};
