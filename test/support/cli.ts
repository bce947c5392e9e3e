import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const SIPCREDS_BIN = resolve(import.meta.dirname, '../../bin/sipcreds.mjs');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `sipcreds ARGS` as a child process, with extra environment and optional stdin. */
export function runCli(env: Record<string, string>, args: string[], input = ''): Promise<CliResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [SIPCREDS_BIN, ...args], {
      cwd: resolve(import.meta.dirname, '../..'),
      env: { ...process.env, ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code, signal) => done({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
    child.stdin.end(input);
  });
}
