import { defineSelfTest } from './define.ts';

await defineSelfTest(3);
