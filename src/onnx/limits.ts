// How large an ONNX model the importer accepts: bounds checked against what a file declares
// before anything of that size is allocated, so a hostile file fails at once.

/** The most nodes a graph may have. */
export const MAX_NODES = 100000;

/** The most elements one initializer or constant may declare (a 1 GB float32 tensor). */
export const MAX_TENSOR_ELEMENTS = 2 ** 28;

/** The largest single dimension a tensor or a graph input may declare. */
export const MAX_DIMENSION = 2 ** 31 - 1;

/**
 * The most frames a Pad, Conv or pool may pad the time axis with on one side: a 100-byte file
 * padding by 2^30 would load and make predict allocate gigabytes.
 */
export const MAX_PAD = 2 ** 16;

/** The most dimensions a tensor may have. */
export const MAX_RANK = 8;

/**
 * The most elements a folded computation may make that the file holds no data for
 * (ConstantOfShape, Expand, broadcasting): they are plain arrays made at load.
 */
export const MAX_FOLDED_ELEMENTS = 2 ** 20;

/**
 * The most elements all the folds of one load may make together: every folded value stays
 * alive until the model is built, and a chain of transposes of one large constant would
 * otherwise hold a copy per node.
 */
export const MAX_FOLDED_TOTAL = 2 ** 24;
