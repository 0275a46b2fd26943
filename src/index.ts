export {describe as describeValue, ValueError} from './errors';
export {DataFormat1D, separableConv1d} from './ops/separable_conv1d';
export {Padding, PaddingMode} from './ops/padding';
