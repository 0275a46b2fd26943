import {checkSize, ValueError} from '../errors.js';
import {addressableRoom} from '../ops/backend_memory.js';

import {framesShape} from './edge.js';
import {PlanNode} from './plan.js';

const MIB = 2 ** 20;

/**
 * Throws a `ValueError` naming the batch size, the layer and the bytes when the buffers a
 * stream of `nodes` may hold at once (each at its largest) could not be allocated: a tensor
 * beyond tfjs's size, or more than the backend can address (wasm32). Called before anything
 * is allocated.
 */
export function checkStreamBuffers(nodes: PlanNode[], batchSize: number): void {
  let total = 0;
  let largest = {bytes: 0, name: ''};
  for (const node of nodes) {
    let bytes = 0;
    for (const {edge, maxFrames} of node.step.buffers) {
      const shape = framesShape(edge, batchSize, maxFrames);
      try {
        checkSize('a buffer', shape);
      } catch (e) {
        throw new ValueError(
          `createStream: with batchSize ${batchSize}, layer '${node.name}' ` +
            `needs a buffer of ${4 * shape[0] * shape[1] * shape[2]} bytes: ${
              (e as Error).message
            } Use a smaller batchSize.`
        );
      }
      bytes += 4 * shape[0] * shape[1] * shape[2];
    }
    total += bytes;
    if (bytes > largest.bytes) largest = {bytes, name: node.name};
  }
  const room = addressableRoom();
  if (room != null && total > room) {
    throw new ValueError(
      `createStream: with batchSize ${batchSize}, the stream's buffers need ${
        total
      } bytes (${Math.ceil(total / MIB)} MiB; layer '${largest.name}' alone ${
        largest.bytes
      }), but the backend can address only ${Math.max(0, Math.floor(room / MIB))} ` +
        `MiB more. Use a smaller batchSize.`
    );
  }
}
