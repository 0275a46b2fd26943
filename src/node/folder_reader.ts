import * as fs from 'fs';
import * as path from 'path';

import {describe, ValueError} from '../errors.js';

/** A model folder: the path the user gave (for messages) and its real path (what "inside" means). */
export interface Folder {
  given: string;
  real: string;
}

/** A file of the folder that passed the checks: where it really is, its identity and size. */
export interface CheckedFile {
  /** How error messages name it: the manifest entry and the path it gave. */
  what: string;
  real: string;
  dev: number;
  ino: number;
  size: number;
}

/** An error for a file that does not exist, with `code: 'ENOENT'` as Node's own. */
export function missingFile(folder: Folder, what: string): Error {
  const error = new Error(
    `fileSystem('${folder.given}'): ENOENT: ${what} does not exist in the ` +
      `folder ${folder.real}.`
  );
  return Object.assign(error, {code: 'ENOENT'});
}

/** Whether `error` says a file or folder does not exist. */
export function isMissing(error: unknown): boolean {
  return (error as {code?: unknown})?.code === 'ENOENT';
}

/** Whether `error` says the file checked was replaced by another before it was opened. */
export function isReplaced(error: unknown): boolean {
  return (error as {code?: unknown})?.code === 'EREPLACED';
}

function refused(folder: Folder, what: string, why: string): ValueError {
  return new ValueError(
    `fileSystem('${folder.given}'): ${what} ${why}; only regular files inside ` +
      `the folder ${folder.real} are read.`
  );
}

/** Whether the real path `candidate` is below the real folder `root`. */
export function isInside(root: string, candidate: string): boolean {
  const relative = path.relative(root, candidate);
  return (
    relative !== '' &&
    relative !== '..' &&
    !relative.startsWith(`..${path.sep}`) &&
    !path.isAbsolute(relative)
  );
}

/** Resolves the folder to its real path; a missing folder is an ENOENT error naming `file`. */
export async function resolveFolder(given: string, file: string): Promise<Folder> {
  try {
    return {given, real: await fs.promises.realpath(given)};
  } catch (e) {
    if (!isMissing(e)) throw e;
    const error = new Error(
      `fileSystem('${given}'): ENOENT: cannot read ${path.join(given, file)}: ` +
        `the folder does not exist.`
    );
    throw Object.assign(error, {code: 'ENOENT'});
  }
}

function kindOf(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  if (stat.isSocket()) return 'a socket';
  if (stat.isSymbolicLink()) return 'a symlink';
  return 'not a regular file';
}

/**
 * Checks, without opening it, that the relative path `entry` names a regular file inside the
 * folder once `..` and every symlink are resolved (symlinks that stay inside are followed, so
 * symlinked caches work). Throws a `ValueError` naming `what` and the folder for an absolute
 * path, a path that leaves the folder, or a FIFO, device, directory or socket; an ENOENT error
 * for a missing file.
 */
export async function checkFile(folder: Folder, what: string, entry: string): Promise<CheckedFile> {
  const named = `${what} ${describe(entry)}`;
  if (entry.includes('\0')) throw refused(folder, named, 'contains a NUL character');
  if (path.isAbsolute(entry) || path.win32.isAbsolute(entry)) {
    throw refused(folder, named, 'is an absolute path');
  }
  let real: string;
  try {
    // The OS resolves `link/..` through the link's target, so only the real path says where
    // a path leads; a lexical check of `..` would not.
    real = await fs.promises.realpath(path.join(folder.real, entry));
  } catch (e) {
    if (isMissing(e)) throw missingFile(folder, named);
    if ((e as {code?: unknown}).code === 'ELOOP') throw refused(folder, named, 'is a symlink loop');
    throw e;
  }
  if (!isInside(folder.real, real)) {
    throw refused(folder, named, `leaves the folder (it resolves to ${real})`);
  }
  const stat = await fs.promises.lstat(real);
  if (!stat.isFile()) throw refused(folder, named, `is ${kindOf(stat)}, not a regular file`);
  return {what: named, real, dev: stat.dev, ino: stat.ino, size: stat.size};
}

/** Where the open file `fd` really is, on Linux; null where the OS does not say. */
async function openedPath(fd: number): Promise<string | null> {
  if (process.platform !== 'linux') return null;
  try {
    return (await fs.promises.readlink(`/proc/self/fd/${fd}`)).replace(/ \(deleted\)$/, '');
  } catch {
    return null;
  }
}

/**
 * Reads a file that `checkFile` passed, making sure the file opened is that one: opened without
 * following a final symlink and without blocking (a FIFO swapped in cannot hang the read), then
 * its identity and size compared with the check's, so a file swapped in between is refused
 * before a byte of it is read.
 */
export async function readCheckedFile(folder: Folder, file: CheckedFile): Promise<Uint8Array> {
  const flags =
    fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0) | (fs.constants.O_NONBLOCK ?? 0);
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file.real, flags);
  } catch (e) {
    if (isMissing(e)) throw missingFile(folder, file.what);
    if ((e as {code?: unknown}).code === 'ELOOP') {
      throw refused(folder, file.what, 'was replaced by a symlink while it was being opened');
    }
    throw e;
  }
  try {
    const stat = await handle.stat();
    const where = await openedPath(handle.fd);
    if (
      !stat.isFile() ||
      stat.dev !== file.dev ||
      stat.ino !== file.ino ||
      stat.size !== file.size ||
      (where != null && !isInside(folder.real, where))
    ) {
      // A save renaming a new file in does this too: the caller may check the new one.
      throw Object.assign(refused(folder, file.what, 'was replaced while it was being opened'), {
        code: 'EREPLACED',
      });
    }
    const bytes = new Uint8Array(file.size);
    let at = 0;
    while (at < bytes.length) {
      const {bytesRead} = await handle.read(bytes, at, bytes.length - at, at);
      if (bytesRead === 0) throw refused(folder, file.what, 'shrank while it was being read');
      at += bytesRead;
    }
    if ((await handle.read(new Uint8Array(1), 0, 1, at)).bytesRead !== 0) {
      throw refused(folder, file.what, 'grew while it was being read');
    }
    return bytes;
  } finally {
    await handle.close();
  }
}
