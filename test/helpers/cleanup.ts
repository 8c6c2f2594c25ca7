/** Test setup: every folder made by tempDir() is removed after each test file. */
import { afterAll } from 'vitest';
import { removeTempDirs } from './cli.js';

afterAll(() => removeTempDirs());
