// The training settings every host builds (typed, with the paper's presets and validation), and
// the ownership helper for what a run trains. Hosts import them from here, not from the train layer.

export { DEFAULT_TRAIN, PAPER_FULL, PAPER_LORA, paperTrainConfig, trainConfig, type TrainConfig, type TrainOverrides } from '../train/config';
export { destroyAdaptation } from '../train/trainer';
export type { Adaptation } from '../model/model';
