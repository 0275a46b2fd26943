// The part of ONNX's schema the importer reads, as a protobufjs JSON descriptor.
//
// Derived from onnx/onnx.proto (ONNX 1.12, as Debian's python3-onnx ships it at
// /usr/lib/python3/dist-packages/onnx/onnx.proto): Copyright (c) ONNX Project Contributors,
// SPDX-License-Identifier: Apache-2.0. Field names are camelCase here; field numbers and types
// are ONNX's. Changes, so that decoding never recurses: the fields that nest graphs or types in
// themselves (AttributeProto.g and .graphs, sparse tensors, TypeProto's sequence, map and
// optional types) are kept as opaque bytes or left out (protobufjs skips unknown fields), and
// the importer refuses a model that uses them. Fields the importer never reads are left out.

/** Field rules and types of the ONNX messages the importer decodes (protobufjs INamespace). */
export const ONNX_SCHEMA = {
  nested: {
    onnx: {
      nested: {
        ModelProto: {
          fields: {
            irVersion: {type: 'int64', id: 1},
            opsetImport: {rule: 'repeated', type: 'OperatorSetIdProto', id: 8},
            producerName: {type: 'string', id: 2},
            producerVersion: {type: 'string', id: 3},
            graph: {type: 'GraphProto', id: 7},
            functions: {rule: 'repeated', type: 'bytes', id: 25},
          },
        },
        OperatorSetIdProto: {
          fields: {domain: {type: 'string', id: 1}, version: {type: 'int64', id: 2}},
        },
        GraphProto: {
          fields: {
            node: {rule: 'repeated', type: 'NodeProto', id: 1},
            name: {type: 'string', id: 2},
            initializer: {rule: 'repeated', type: 'TensorProto', id: 5},
            sparseInitializer: {rule: 'repeated', type: 'bytes', id: 15},
            input: {rule: 'repeated', type: 'ValueInfoProto', id: 11},
            output: {rule: 'repeated', type: 'ValueInfoProto', id: 12},
          },
        },
        NodeProto: {
          fields: {
            input: {rule: 'repeated', type: 'string', id: 1},
            output: {rule: 'repeated', type: 'string', id: 2},
            name: {type: 'string', id: 3},
            opType: {type: 'string', id: 4},
            domain: {type: 'string', id: 7},
            attribute: {rule: 'repeated', type: 'AttributeProto', id: 5},
          },
        },
        AttributeProto: {
          fields: {
            name: {type: 'string', id: 1},
            refAttrName: {type: 'string', id: 21},
            type: {type: 'int32', id: 20},
            f: {type: 'float', id: 2},
            i: {type: 'int64', id: 3},
            s: {type: 'bytes', id: 4},
            t: {type: 'TensorProto', id: 5},
            g: {type: 'bytes', id: 6},
            floats: {rule: 'repeated', type: 'float', id: 7},
            ints: {rule: 'repeated', type: 'int64', id: 8},
            strings: {rule: 'repeated', type: 'bytes', id: 9},
            tensors: {rule: 'repeated', type: 'TensorProto', id: 10},
            graphs: {rule: 'repeated', type: 'bytes', id: 11},
          },
        },
        ValueInfoProto: {
          fields: {name: {type: 'string', id: 1}, type: {type: 'TypeProto', id: 2}},
        },
        TypeProto: {
          fields: {tensorType: {type: 'TensorTypeProto', id: 1}},
        },
        TensorTypeProto: {
          fields: {elemType: {type: 'int32', id: 1}, shape: {type: 'TensorShapeProto', id: 2}},
        },
        TensorShapeProto: {
          fields: {dim: {rule: 'repeated', type: 'Dimension', id: 1}},
        },
        Dimension: {
          fields: {dimValue: {type: 'int64', id: 1}, dimParam: {type: 'string', id: 2}},
        },
        TensorProto: {
          fields: {
            dims: {rule: 'repeated', type: 'int64', id: 1},
            dataType: {type: 'int32', id: 2},
            segment: {type: 'bytes', id: 3},
            floatData: {rule: 'repeated', type: 'float', id: 4},
            int32Data: {rule: 'repeated', type: 'int32', id: 5},
            int64Data: {rule: 'repeated', type: 'int64', id: 7},
            name: {type: 'string', id: 8},
            rawData: {type: 'bytes', id: 9},
            doubleData: {rule: 'repeated', type: 'double', id: 10},
            externalData: {rule: 'repeated', type: 'bytes', id: 13},
            dataLocation: {type: 'int32', id: 14},
          },
        },
      },
    },
  },
};
