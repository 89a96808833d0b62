// Device acquisition for both hosts: the browser (navigator.gpu) and Node (npm `webgpu`, Dawn).
// The rest of the engine only ever sees a GPUDevice plus the facts collected here.

export interface DeviceFeatures {
  shaderF16: boolean; // 'shader-f16': f16 arithmetic and storage in WGSL
  subgroups: boolean; // 'subgroups': subgroup builtins (optional speed-up only)
  timestampQuery: boolean; // 'timestamp-query': GPU timing of compute passes
}

export interface AdapterDescription {
  vendor: string; // e.g. "google"
  architecture: string; // e.g. "swiftshader"
  device: string; // e.g. "swiftshader device (subzero)"
  description: string;
  isSoftware: boolean; // true for SwiftShader and other CPU adapters
}

export interface AcquiredDevice {
  device: GPUDevice;
  adapter: AdapterDescription;
  features: DeviceFeatures;
  limits: {
    maxBufferSize: number; // bytes, the adapter's own maximum (requested)
    maxStorageBufferBindingSize: number; // bytes, the adapter's own maximum (requested)
    maxStorageBuffersPerShaderStage: number;
    maxComputeWorkgroupStorageSize: number; // bytes
    maxComputeInvocationsPerWorkgroup: number;
    maxComputeWorkgroupsPerDimension: number;
  };
  host: 'browser' | 'node';
}

export interface AcquireOptions {
  powerPreference?: GPUPowerPreference; // default 'high-performance'
  /** Node only: extra Dawn options passed to `create()`, e.g. 'enable-dawn-features=...'. */
  dawnOptions?: string[];
  /** Opt out of optional features (for testing the f32-only path on a capable adapter). */
  disableFeatures?: (keyof DeviceFeatures)[];
}

export class NoWebGPUError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoWebGPUError';
  }
}

const BROWSER_HELP =
  'This page needs WebGPU. Use a recent Chrome, Edge or Chromium (113+), Safari 26+, or Firefox 141+ on Windows. ' +
  'On Linux without a GPU, run Debian\'s `chromium` with --enable-unsafe-webgpu --enable-unsafe-swiftshader ' +
  '--use-webgpu-adapter=swiftshader to get the SwiftShader software adapter.';

const NODE_HELP =
  'Node found no WebGPU adapter. On a machine without a GPU install Debian\'s `chromium` and `libvulkan1` ' +
  '(`apt-get install chromium libvulkan1`): chromium ships the SwiftShader Vulkan driver, which is selected ' +
  'through VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (set automatically when that file exists).';

/** Known places of SwiftShader's Vulkan ICD (Debian/Ubuntu chromium packages). */
const SWIFTSHADER_ICDS = ['/usr/lib/chromium/vk_swiftshader_icd.json', '/usr/lib/chromium-browser/vk_swiftshader_icd.json'];

function isNode(): boolean {
  return typeof process !== 'undefined' && !!process.versions?.node && typeof navigator === 'undefined';
}

/**
 * Dawn instances made in Node, by their options. The instance must stay referenced while any of
 * its devices lives: Dawn's event pump keeps calling into it, and once the GC frees an
 * unreferenced instance the process crashes at random (futex errors, segfaults, hangs).
 */
const nodeInstances = new Map<string, GPU>();

async function nodeGpu(dawnOptions: string[]): Promise<GPU> {
  const optionsKey = dawnOptions.join('\n');
  const existing = nodeInstances.get(optionsKey);
  if (existing) return existing;
  const fs = await import('node:fs');
  if (!process.env.VK_ICD_FILENAMES && !process.env.GRSAP_NO_SWIFTSHADER) {
    // Dawn loads Vulkan lazily, so setting the variable before create() is early enough.
    const icd = SWIFTSHADER_ICDS.find((p) => fs.existsSync(p));
    if (icd) process.env.VK_ICD_FILENAMES = icd;
  }
  const moduleName = 'webgpu';
  const webgpu = (await import(/* @vite-ignore */ moduleName)) as {
    create: (options: string[]) => GPU;
    globals: Record<string, unknown>;
  };
  // WGSL constants such as GPUBufferUsage live on the globals object in Node.
  for (const [key, value] of Object.entries(webgpu.globals)) {
    if (!(key in globalThis)) (globalThis as Record<string, unknown>)[key] = value;
  }
  const instance = webgpu.create(dawnOptions);
  nodeInstances.set(optionsKey, instance);
  return instance;
}

function describe(info: GPUAdapterInfo | undefined): AdapterDescription {
  const vendor = info?.vendor ?? '';
  const architecture = info?.architecture ?? '';
  const device = info?.device ?? '';
  const description = info?.description ?? '';
  const text = `${vendor} ${architecture} ${device} ${description}`.toLowerCase();
  const isSoftware =
    (info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter === true ||
    /swiftshader|llvmpipe|lavapipe|warp|software/.test(text);
  return { vendor, architecture, device, description, isSoftware };
}

/**
 * Acquire a GPUDevice with the adapter's own maximum buffer and binding sizes and the optional
 * features this engine can use. Throws NoWebGPUError with instructions when no adapter exists.
 */
export async function acquireDevice(options: AcquireOptions = {}): Promise<AcquiredDevice> {
  const host = isNode() ? 'node' : 'browser';
  let gpu: GPU | undefined;
  if (host === 'node') {
    gpu = await nodeGpu(options.dawnOptions ?? []);
  } else {
    gpu = (navigator as Navigator & { gpu?: GPU }).gpu;
    if (!gpu) throw new NoWebGPUError(`navigator.gpu is missing. ${BROWSER_HELP}`);
  }
  const adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  if (!adapter) throw new NoWebGPUError(`requestAdapter() returned no adapter. ${host === 'node' ? NODE_HELP : BROWSER_HELP}`);

  const disabled = new Set(options.disableFeatures ?? []);
  const want: [keyof DeviceFeatures, GPUFeatureName][] = [
    ['shaderF16', 'shader-f16'],
    ['subgroups', 'subgroups' as GPUFeatureName],
    ['timestampQuery', 'timestamp-query'],
  ];
  const features: DeviceFeatures = { shaderF16: false, subgroups: false, timestampQuery: false };
  const requiredFeatures: GPUFeatureName[] = [];
  for (const [key, name] of want) {
    if (adapter.features.has(name) && !disabled.has(key)) {
      features[key] = true;
      requiredFeatures.push(name);
    }
  }

  const a = adapter.limits;
  const requiredLimits: Record<string, number> = {
    maxBufferSize: a.maxBufferSize,
    maxStorageBufferBindingSize: a.maxStorageBufferBindingSize,
    maxStorageBuffersPerShaderStage: a.maxStorageBuffersPerShaderStage,
    maxComputeWorkgroupStorageSize: a.maxComputeWorkgroupStorageSize,
    maxComputeInvocationsPerWorkgroup: a.maxComputeInvocationsPerWorkgroup,
    maxComputeWorkgroupSizeX: a.maxComputeWorkgroupSizeX,
    maxComputeWorkgroupSizeY: a.maxComputeWorkgroupSizeY,
    maxComputeWorkgroupsPerDimension: a.maxComputeWorkgroupsPerDimension,
  };
  const device = await adapter.requestDevice({ requiredFeatures, requiredLimits });
  device.addEventListener('uncapturederror', (event) => {
    const error = (event as GPUUncapturedErrorEvent).error;
    console.error(`WebGPU error: ${error.message}`);
  });
  return {
    device,
    adapter: describe(adapter.info),
    features,
    limits: {
      maxBufferSize: device.limits.maxBufferSize,
      maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize,
      maxStorageBuffersPerShaderStage: device.limits.maxStorageBuffersPerShaderStage,
      maxComputeWorkgroupStorageSize: device.limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: device.limits.maxComputeInvocationsPerWorkgroup,
      maxComputeWorkgroupsPerDimension: device.limits.maxComputeWorkgroupsPerDimension,
    },
    host,
  };
}
