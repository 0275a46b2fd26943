import {randomBytes} from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/**
 * The file operations of a save's forward path, gathered in one object so that a spec can make
 * one of them fail as a full or broken disk would. Not part of the package's API.
 * @internal
 */
export const saveOps = {
  /** Creates a new file: fails if the name exists, so it never writes through a symlink. */
  create: (file: string): Promise<fs.promises.FileHandle> => fs.promises.open(file, 'wx'),
  write: (handle: fs.promises.FileHandle, data: Uint8Array): Promise<void> =>
    handle.writeFile(data),
  flush: (handle: fs.promises.FileHandle): Promise<void> => handle.sync(),
  rename: (from: string, to: string): Promise<void> => fs.promises.rename(from, to),
};

/** A name no other save picks: 16 random hex digits. */
export function uniqueId(): string {
  return randomBytes(8).toString('hex');
}

/** A weights file name that fileSystem's saves write: `weights-<16 hex>.bin` (or, before, `weights.bin`). */
export function isSavedWeightsName(name: string): boolean {
  return /^weights(-[0-9a-f]{16})?\.bin$/.test(name);
}

/** A file of a save: its final name in the folder and its bytes. */
export interface SavedFile {
  name: string;
  data: Uint8Array;
}

async function removeQuietly(file: string): Promise<void> {
  await fs.promises.unlink(file).catch(() => undefined);
}

/** Writes `data` to the new file `file`, flushed to disk; on failure nothing is left. */
async function writeNewFile(file: string, data: Uint8Array): Promise<void> {
  const handle = await saveOps.create(file);
  try {
    await saveOps.write(handle, data);
    await saveOps.flush(handle);
  } catch (e) {
    await handle.close().catch(() => undefined);
    await removeQuietly(file);
    throw e;
  }
  await handle.close();
}

/** Flushes a folder's entries (the renames) to disk; not possible on every platform. */
async function flushFolder(folder: string): Promise<void> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(folder, 'r');
    await handle.sync();
  } catch {
    // Windows cannot open or flush a directory; the renames are still atomic there.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Puts `files` into the real folder `folder` atomically, in order, the last one (model.json)
 * deciding which model the folder holds: each is written to a temporary file of a unique name
 * in the folder and flushed, then all are renamed into place in order and the folder flushed.
 * A rename replaces a symlink of that name rather than writing its target. If anything fails,
 * every file this call created is removed and the error is thrown: the folder holds what it
 * held before.
 */
export async function replaceFiles(folder: string, files: SavedFile[]): Promise<void> {
  const id = uniqueId();
  const temporary = files.map(f => path.join(folder, `.${f.name}.${id}.tmp`));
  const created: string[] = [];
  try {
    for (let i = 0; i < files.length; i++) {
      created.push(temporary[i]);
      await writeNewFile(temporary[i], files[i].data);
    }
    for (let i = 0; i < files.length; i++) {
      const target = path.join(folder, files[i].name);
      await saveOps.rename(temporary[i], target);
      created[i] = target;
    }
  } catch (e) {
    // Only the last rename commits the save, and it is the last step that can throw here: what
    // was created so far is referenced by nothing.
    await Promise.all(created.map(removeQuietly));
    throw e;
  }
  await flushFolder(folder);
}

/** Removes the files `names` of the real folder `folder` that a save wrote, ignoring missing ones. */
export async function removeSavedFiles(folder: string, names: string[]): Promise<void> {
  await Promise.all(names.filter(isSavedWeightsName).map(n => removeQuietly(path.join(folder, n))));
}
