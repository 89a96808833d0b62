// The engine behind the worker: owns the GPU and every long operation.

import { Gpu } from '../gpu/gpu';
import { runSelfCheck, type CheckResult } from '../ops/selfcheck';
import type { DeviceReport, StudioApi } from '../worker/api';

export class StudioEngine implements StudioApi {
  private gpu: Promise<Gpu> | null = null;

  private getGpu(): Promise<Gpu> {
    if (!this.gpu) {
      this.gpu = Gpu.create();
      // A failed acquisition must not stick: the user may fix the browser flags and retry.
      this.gpu.catch(() => (this.gpu = null));
    }
    return this.gpu;
  }

  async describeDevice(): Promise<DeviceReport> {
    const { device: _device, ...report } = (await this.getGpu()).info;
    return report;
  }

  async selfCheck(onResult?: (r: CheckResult, done: number, total: number) => void): Promise<CheckResult[]> {
    return runSelfCheck(await this.getGpu(), onResult);
  }

  dispose(): void {
    void this.gpu?.then((g) => g.destroy());
    this.gpu = null;
  }
}
