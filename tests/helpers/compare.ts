export { expectClose, maxAbs, mismatches, type Tolerance } from '../../src/util/compare';
