import { AppError } from '../app/errors.ts';
import { ConfigError } from '../config.ts';

/** Prints a result: one JSON object with --json, else the human line. */
export function print(json: boolean | undefined, obj: Record<string, unknown>, human: string): void {
  process.stdout.write(json ? `${JSON.stringify(obj)}\n` : `${human}\n`);
}

/** One clear line on stderr and a non-zero exit; never a stack trace for an expected failure. */
export function fail(error: unknown, code = 1): never {
  let line: string;
  if (error instanceof AppError || error instanceof ConfigError) line = error.message;
  else if (error instanceof Error) {
    const pgCode = (error as { code?: string }).code;
    line =
      pgCode === 'ECONNREFUSED' || pgCode === '3D000' || pgCode === '28P01'
        ? `Cannot reach the database: ${error.message}. Check DATABASE_URL.`
        : error.message;
  } else line = String(error);
  process.stderr.write(`sipcreds: ${line.split('\n')[0]}\n`);
  process.exit(code);
}
