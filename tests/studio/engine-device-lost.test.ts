// The engine tells its host when the GPU device is lost, so the page can say so and offer the
// reload that resumes from the last checkpoints; it stays pending while the device lives.

import { describe, expect, it } from 'vitest';
import { createMemoryModelCache } from '../../src/storage/cache';
import { StudioEngine } from '../../src/studio/engine';

describe('the engine reports a lost device', () => {
  it('stays pending while the device lives and resolves with the reason once it is lost', async () => {
    const engine = new StudioEngine({ cache: async () => createMemoryModelCache() });
    await engine.describeDevice();
    let reason: string | null = null;
    const lost = engine.deviceLost().then((r) => (reason = r));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(reason).toBeNull();
    engine.dispose(); // destroys the device: the same event a driver reset raises, with another reason
    await lost;
    expect(reason).toMatch(/^destroyed: /);
  });
});
