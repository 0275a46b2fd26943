// Decodes the bytes of an .onnx file into the plain graph the importer walks. protobufjs decodes
// with ONNX's own schema (./schema.ts); everything it gives back is checked here before use.
import protobuf from 'protobufjs/light.js';

import {ValueError} from '../errors.js';

import {MAX_DIMENSION, MAX_NODES, MAX_RANK} from './limits.js';
import {ONNX_SCHEMA} from './schema.js';

/** A TensorProto as protobufjs decodes it (field names as in ./schema.ts). */
export interface TensorProto {
  dims: number[];
  dataType?: number;
  segment?: Uint8Array;
  floatData: number[];
  int32Data: number[];
  int64Data: number[];
  name?: string;
  rawData?: Uint8Array;
  doubleData: number[];
  externalData: Uint8Array[];
  dataLocation?: number;
}

/** One attribute of a node. */
export interface OnnxAttribute {
  name: string;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  floats: number[];
  ints: number[];
  strings: Uint8Array[];
  /** Whether the attribute holds a graph (a subgraph of Loop, If or Scan). */
  hasGraph: boolean;
}

/** One node of the graph. */
export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  inputs: string[];
  outputs: string[];
  attributes: Map<string, OnnxAttribute>;
}

/** A graph input or output: its name, element type and dims (a string for a named axis). */
export interface OnnxValueInfo {
  name: string;
  elemType: number;
  dims: Array<number | string | null> | null;
}

/** The graph of an ONNX model, as the importer reads it. */
export interface OnnxGraph {
  /** The version of the default ('ai.onnx') operator set. */
  opset: number;
  nodes: OnnxNode[];
  initializers: Map<string, TensorProto>;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
}

let root: protobuf.Root | null = null;

function onnxType(name: string): protobuf.Type {
  if (root === null) root = protobuf.Root.fromJSON(ONNX_SCHEMA);
  return root.lookupType(`onnx.${name}`);
}

/** Decodes one message of ONNX type `name`, any failure a ValueError saying what `what` is. */
function decode<T>(name: string, bytes: Uint8Array, what: string): T {
  try {
    const type = onnxType(name);
    return type.toObject(type.decode(bytes), {longs: Number, arrays: true}) as T;
  } catch (e) {
    // protobufjs throws on truncated or misencoded bytes; a stack overflow (nested groups) too.
    throw new ValueError(
      `loadOnnxModel: the bytes are not a valid ${what}: ` +
        `${e instanceof Error ? e.message : String(e)}.`
    );
  }
}

/**
 * Decodes a serialized ONNX TensorProto (a `.pb` file of ONNX's test data) as the importer
 * reads initializers: the proto, to pass to `toConst`.
 */
export function parseOnnxTensor(bytes: Uint8Array): TensorProto {
  return decode<TensorProto>('TensorProto', bytes, 'ONNX TensorProto');
}

/** The most characters of file-supplied text (a name, an attribute list) an error quotes. */
const MAX_QUOTED = 200;

/**
 * `text` cut to `limit` characters: a hostile file's names and attribute lists can be megabytes,
 * and an error message quoting them whole would be as large.
 */
export function brief(text: string, limit = MAX_QUOTED): string {
  return text.length <= limit ? text : `${text.slice(0, limit)}... (${text.length} characters)`;
}

/** Names a node for error messages: its name (or its first output) and op type. */
export function nodeLabel(node: {name: string; opType: string; outputs: string[]}): string {
  const name = node.name || node.outputs[0] || '(unnamed)';
  return `node '${brief(name)}' (${brief(node.opType)})`;
}

/** Wraps a message in a `ValueError` that says the file is not a valid ONNX model. */
function malformed(why: string): ValueError {
  return new ValueError(`loadOnnxModel: the bytes are not a valid ONNX model: ${why}.`);
}

/**
 * Decodes `bytes` as an ONNX ModelProto and returns its main graph. Malformed or truncated
 * bytes, and models this importer cannot read (external data, sparse initializers, local
 * functions, no graph), are a `ValueError`.
 */
export function parseOnnx(bytes: Uint8Array): OnnxGraph {
  if (bytes.length === 0) throw malformed('the source is empty');
  type Decoded = {
    graph?: {
      node: RawNode[];
      initializer: TensorProto[];
      sparseInitializer: Uint8Array[];
      input: RawValueInfo[];
      output: RawValueInfo[];
    };
    opsetImport: Array<{domain?: string; version?: number}>;
    functions: Uint8Array[];
  };
  const model = decode<Decoded>('ModelProto', bytes, 'ONNX model');
  const graph = model.graph;
  if (!graph) throw malformed('it has no graph');
  if (model.functions.length > 0) {
    throw new ValueError(
      'loadOnnxModel: the model defines local functions, which this ' +
        'importer does not support; export without them (inline them).'
    );
  }
  if (graph.sparseInitializer.length > 0) {
    throw new ValueError(
      'loadOnnxModel: the model has sparse initializers, which this ' + 'importer does not support.'
    );
  }
  if (graph.node.length > MAX_NODES) {
    throw new ValueError(
      `loadOnnxModel: the graph has ${graph.node.length} nodes, more than ` +
        `the ${MAX_NODES} this importer accepts.`
    );
  }
  const main = model.opsetImport.find(o => !o.domain || o.domain === 'ai.onnx');
  const opset = main && typeof main.version === 'number' ? main.version : 1;
  const initializers = new Map<string, TensorProto>();
  for (const t of graph.initializer) {
    if (!t.name) throw malformed('an initializer has no name');
    if (initializers.has(t.name)) throw malformed(`two initializers are named '${brief(t.name)}'`);
    initializers.set(t.name, t);
  }
  return {
    opset,
    nodes: graph.node.map(toNode),
    initializers,
    inputs: graph.input.map(toValueInfo),
    outputs: graph.output.map(toValueInfo),
  };
}

interface RawNode {
  input: string[];
  output: string[];
  name?: string;
  opType?: string;
  domain?: string;
  attribute: Array<Omit<OnnxAttribute, 'hasGraph'> & {g?: Uint8Array; graphs: Uint8Array[]}>;
}

function toNode(raw: RawNode): OnnxNode {
  const attributes = new Map<string, OnnxAttribute>();
  for (const a of raw.attribute) {
    const {g, graphs, ...rest} = a;
    attributes.set(a.name, {...rest, hasGraph: g !== undefined || graphs.length > 0});
  }
  return {
    name: raw.name || '',
    opType: raw.opType || '',
    domain: raw.domain || '',
    inputs: raw.input,
    outputs: raw.output,
    attributes,
  };
}

interface RawValueInfo {
  name?: string;
  type?: {
    tensorType?: {elemType?: number; shape?: {dim: Array<{dimValue?: number; dimParam?: string}>}};
  };
}

function toValueInfo(raw: RawValueInfo): OnnxValueInfo {
  const name = raw.name || '';
  const tensorType = raw.type?.tensorType;
  if (raw.type && !tensorType) {
    throw new ValueError(
      `loadOnnxModel: the graph input or output '${name}' is not a tensor ` +
        '(a sequence, map or optional), which this importer does not support.'
    );
  }
  const shape = tensorType?.shape;
  let dims: Array<number | string | null> | null = null;
  if (shape) {
    if (shape.dim.length > MAX_RANK) throw malformed(`'${name}' has ${shape.dim.length} dims`);
    dims = shape.dim.map(d => {
      if (d.dimValue !== undefined) {
        if (!Number.isInteger(d.dimValue) || d.dimValue < 0 || d.dimValue > MAX_DIMENSION) {
          throw new ValueError(
            `loadOnnxModel: the graph input or output '${name}' declares a ` +
              `dimension of ${d.dimValue}, outside 0..${MAX_DIMENSION}.`
          );
        }
        return d.dimValue;
      }
      return d.dimParam !== undefined ? d.dimParam : null;
    });
  }
  return {name, elemType: tensorType?.elemType ?? 0, dims};
}
