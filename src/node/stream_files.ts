import * as fs from 'fs';
import * as path from 'path';

import {ValueError} from '../errors.js';
import type {ExportedStream} from '../runtime/format.js';

import {uniqueId} from './atomic_save.js';

/** The description and state file, and the weights file, in a folder of an exported stream. */
export const STREAM_JSON = 'stream.json';
export const STREAM_WEIGHTS = 'stream.weights.bin';

/** The largest stream.json read: far above any program's description and state. */
const MAX_JSON_BYTES = 2 ** 27;

/** Writes a file through a temporary name, so that a reader never sees half of it. */
async function writeWhole(file: string, data: string | Uint8Array): Promise<void> {
  const temporary = `${file}.${uniqueId()}.tmp`;
  await fs.promises.writeFile(temporary, data, {flag: 'wx'});
  await fs.promises.rename(temporary, file);
}

/**
 * Saves `stream.export()` in `folder` (made if missing) as `stream.json` (`{description,
 * state}`) and `stream.weights.bin` (float32 little-endian), what `readStreamFiles` and the
 * browser's `fetch` + `loadStream` read.
 */
export async function writeStreamFiles(exported: ExportedStream, folder: string): Promise<void> {
  await fs.promises.mkdir(folder, {recursive: true});
  await writeWhole(path.join(folder, STREAM_WEIGHTS), new Uint8Array(exported.weights));
  const json = JSON.stringify({description: exported.description, state: exported.state});
  await writeWhole(path.join(folder, STREAM_JSON), json);
}

/**
 * Reads a folder that `writeStreamFiles` wrote, as `stream.export()` gave it: pass its parts to
 * `loadStream` (which checks them).
 * @throws ValueError naming the file that is missing, too large or not JSON.
 */
export async function readStreamFiles(folder: string): Promise<ExportedStream> {
  const jsonFile = path.join(folder, STREAM_JSON);
  const read = async (file: string, max: number): Promise<Buffer> => {
    try {
      const {size} = await fs.promises.stat(file);
      if (size > max) throw new ValueError(`readStreamFiles: ${file} is ${size} bytes, over ${max}.`);
      return await fs.promises.readFile(file);
    } catch (e) {
      if (e instanceof ValueError) throw e;
      throw new ValueError(`readStreamFiles: cannot read ${file}: ${(e as Error).message}`);
    }
  };
  let parsed: Pick<ExportedStream, 'description' | 'state'>;
  try {
    parsed = JSON.parse((await read(jsonFile, MAX_JSON_BYTES)).toString('utf8'));
  } catch (e) {
    if (e instanceof ValueError) throw e;
    throw new ValueError(`readStreamFiles: ${jsonFile} is not JSON (${(e as Error).message}).`);
  }
  const bytes = await read(path.join(folder, STREAM_WEIGHTS), 2 ** 32);
  const weights = new Uint8Array(bytes).buffer;
  return {description: parsed?.description, state: parsed?.state, weights};
}
