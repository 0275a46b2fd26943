// What an op's mapping sees: the node, the builder, how many nodes read a value, and helpers
// that read attributes and inputs or fail with an error naming the node.
import {ValueError} from '../errors.js';

import type {ModelBuilder} from './builder.js';
import {FoldBudget, FoldError} from './fold.js';
import {brief, nodeLabel, OnnxNode} from './parse.js';
import {toConst} from './tensor.js';
import {ConstValue, TensorValue, Value} from './values.js';

/** The state one op's mapping works in. */
export class Context {
  constructor(
    readonly builder: ModelBuilder,
    readonly node: OnnxNode,
    readonly opset: number,
    private readonly useCounts: Map<string, number>,
    private readonly graphInputs: Set<string>,
    private readonly budget: FoldBudget
  ) {}

  /** A `ValueError` naming this node and saying why it cannot be imported. */
  fail(why: string): never {
    throw new ValueError(`loadOnnxModel: ${nodeLabel(this.node)} ${brief(why, 1000)}`);
  }

  /** How many node inputs and graph outputs read the ONNX value `name`. */
  uses(name: string): number {
    return this.useCounts.get(name) ?? 0;
  }

  /** Whether `name` is one of the graph's (non-initializer) inputs. */
  isGraphInput(name: string): boolean {
    return this.graphInputs.has(name);
  }

  /** Whether the layer of `v` may be changed: only this node reads it, straight from its layer. */
  owns(v: TensorValue): boolean {
    return v.direct === true && this.uses(v.onnxName) === 1;
  }

  /** Input `i` as a tensor the model computes. */
  tensor(inputs: Array<Value | undefined>, i: number, what = `input ${i}`): TensorValue {
    const v = inputs[i];
    if (!v || v.kind !== 'tensor') this.fail(`needs its ${what} computed from the model's input.`);
    return v;
  }

  /** Input `i` as a constant (an initializer, a Constant or folded shape arithmetic). */
  constant(inputs: Array<Value | undefined>, i: number, what = `input ${i}`): ConstValue {
    const v = inputs[i];
    if (!v || v.kind !== 'const') {
      this.fail(
        `needs its ${what} to be a constant (an initializer), but it is ` +
          `${!v ? 'missing' : "computed from the model's input"}.`
      );
    }
    return v;
  }

  /** Input `i` as constant float data of `shape` ([] to accept any). */
  floats(
    inputs: Array<Value | undefined>,
    i: number,
    what: string,
    shape?: number[]
  ): Float32Array {
    const c = this.constant(inputs, i, what);
    if (shape && JSON.stringify(c.dims) !== JSON.stringify(shape)) {
      this.fail(
        `has ${what} of shape ${JSON.stringify(c.dims)}, expected ` + `${JSON.stringify(shape)}.`
      );
    }
    return c.isFloat ? (c.data as Float32Array) : Float32Array.from(this.ints(c, what));
  }

  /** A const's elements as integers; a symbolic dimension fails. */
  ints(c: ConstValue, what: string): number[] {
    return Array.from(c.data as ArrayLike<number | string>, v => {
      if (typeof v !== 'number') this.fail(`has ${what} that depends on the input's ${v}.`);
      return v;
    });
  }

  /** The int attribute `name`, or `fallback` when the node has none. */
  attrInt(name: string, fallback: number): number {
    const a = this.node.attributes.get(name);
    return a?.i ?? fallback;
  }

  /** The float attribute `name`, or `fallback` when the node has none. */
  attrFloat(name: string, fallback: number): number {
    const a = this.node.attributes.get(name);
    return a?.f ?? fallback;
  }

  /** The ints attribute `name`, or undefined when the node has none. */
  attrInts(name: string): number[] | undefined {
    const a = this.node.attributes.get(name);
    return a ? a.ints : undefined;
  }

  /** The string attribute `name` (its first 256 bytes), or `fallback`. */
  attrString(name: string, fallback: string): string {
    const s = this.node.attributes.get(name)?.s;
    return s ? String.fromCharCode(...Array.from(s.subarray(0, 256))) : fallback;
  }

  /** The tensor attribute `name` as a checked constant, or undefined. */
  attrTensor(name: string): ConstValue | undefined {
    const t = this.node.attributes.get(name)?.t;
    return t ? toConst(t, `${nodeLabel(this.node)}'s attribute '${name}'`) : undefined;
  }

  /** Runs a fold, turning a FoldError into this node's ValueError. */
  fold<T>(f: () => T): T {
    try {
      const value = f();
      this.budget.charge(value);
      return value;
    } catch (e) {
      if (e instanceof FoldError) this.fail(`cannot be computed at load: ${e.message}.`);
      throw e;
    }
  }

  /** The value a new layer writes as this node's output `index`. */
  out(layer: string, perm: number[], dims: Array<number | null>, index = 0): TensorValue {
    return {kind: 'tensor', layer, perm, dims, onnxName: this.node.outputs[index], direct: true};
  }

  /** `v` passed on unchanged as this node's output `index` (another name for the same tensor). */
  alias(v: TensorValue, changes: Partial<TensorValue> = {}, index = 0): TensorValue {
    return {...v, ...changes, onnxName: this.node.outputs[index], direct: false};
  }
}

/** What an op's mapping returns: a value for each output (undefined where none is made). */
export type OpResult = Array<Value | undefined>;

/** Maps one ONNX op: its inputs (undefined where omitted) to its outputs. */
export type OpHandler = (ctx: Context, inputs: Array<Value | undefined>) => OpResult;
