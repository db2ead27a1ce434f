export * from './errors';
export * from './pairwiseBudget';
/**
 * The analysis core of CNN Slicer: every information measure of Shen & Shen (2021), pure
 * computation shared by the recorder, the analysis service, the CLI, the tests and the webviews.
 * Architecture invariant: nothing here does I/O or imports vscode, tfjs or `node:` modules.
 */
export * from './binning';
export * from './bootstrap';
export * from './binomial';
export * from './capacity';
export * from './capacityOrder';
export * from './channelClusters';
export * from './distances';
export * from './interSample';
export * from './interSampleReasons';
export * from './intraSample';
export * from './labels';
export * from './predictions';
export * from './labelInformation';
export * from './layout';
export * from './npy';
export * from './shannon';
export * from './random';
export * from './rankCorrelation';
export * from './subsets';
