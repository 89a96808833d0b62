import { render } from 'preact';
import { App } from './app';
import { loadPreset, refreshSnapshot } from './demo';
import { pageOptions } from './page-options';
import { restoreReplaySet } from './steps/replay-run';
import { restoreTrainRuns } from './steps/train-run';
import { restoreUserDataset } from './user-dataset';
import { createStudio, describeDevice, device, loadPageModel } from './state';

const studio = createStudio(pageOptions(location.href));
render(<App studio={studio} />, document.getElementById('app')!);

// The model loads as the page opens; the stored demo run and the preset's size need no GPU.
void loadPreset(studio);
void describeDevice(studio).then(() => {
  if (device.value.kind === 'ready') void loadPageModel(studio);
});
void refreshSnapshot(studio);
void restoreReplaySet();
void restoreTrainRuns(studio);
void restoreUserDataset();
