// The engine's interface as the UI sees it through comlink. The worker exposes one instance;
// the class is tested directly in Node.

import type { AcquiredDevice } from '../gpu/device';
import type { CheckResult } from '../ops/selfcheck';

export type DeviceReport = Omit<AcquiredDevice, 'device'>;

export interface StudioApi {
  /** Acquire the GPU (once) and describe the adapter, its limits and features. */
  describeDevice(): Promise<DeviceReport>;
  /** Run every kernel against its CPU reference; `onResult` is called per op. */
  selfCheck(onResult?: (r: CheckResult, done: number, total: number) => void): Promise<CheckResult[]>;
}
