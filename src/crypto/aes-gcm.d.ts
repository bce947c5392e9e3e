export declare const NONCE_BYTES: number;
export declare const TAG_BYTES: number;
export declare function accountAad(accountId: number): Buffer;
export declare function encryptBatch(
  keyId: string,
  key: Buffer,
  accountId: number,
  items: readonly (string | null)[],
): (string | null)[];
export declare function splitCiphertext(text: string): { keyId: string; body: Buffer } | null;
export declare function decryptBody(key: Buffer, body: Buffer, aad: Buffer): string;
export declare function decryptBatch(
  keys: ReadonlyMap<string, Buffer>,
  accountId: number,
  items: readonly (string | null)[],
): (string | null | undefined)[];
