/**
 * A Python file that loads exported weights into the original lab's PyTorch `ConvNet`: the class as the
 * seed's notebook writes it (its literals 4, 8, 5, 512 become depth, kernel_size and hidden, the
 * seed's values for a seed config), and a safetensors reader in numpy + struct, so that it needs
 * only torch and numpy (Debian has no python3-safetensors).
 */
import { dirname, join } from 'node:path';
import { LabError } from '../errors';
import { writeFileAtomic } from '../runs/atomic';
import { type ConvNetSpec, assertValidSpec } from './spec';

/**
 * A Python string literal of `s` in pure ASCII: `"` and `\\` escaped, every other character
 * outside printable ASCII as \xXX, \uXXXX or \UXXXXXXXX (newlines, U+2028, quotes: nothing can
 * end the literal or the line). A lone surrogate (not text) becomes U+FFFD.
 */
export function pyString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c >= 0x20 && c < 0x7f) out += ch;
    else if (c >= 0xd800 && c <= 0xdfff) out += '\\ufffd';
    else if (c < 0x100) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c < 0x10000) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += `\\U${c.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}

/** Class names longer than this are cut (they are only printed). */
const MAX_NAME = 200;

/**
 * The loader's Python source. Defence in depth: the spec is checked again here (whole numbers in
 * the lab's limits, a finite dropout in [0, 1)), so that only validated numbers and escaped
 * string literals ever reach the code, whoever calls this.
 */
export function pytorchSnippet(spec: ConvNetSpec, weightsFile: string, classNames?: readonly string[]): string {
  assertValidSpec(spec, weightsFile, 'model for the PyTorch loader:');
  if (typeof weightsFile !== 'string' || weightsFile.length === 0 || weightsFile.length > 4096) {
    throw new LabError(
      `the PyTorch loader needs the weights file's path, got ${typeof weightsFile === 'string' ? `${weightsFile.length} characters` : typeof weightsFile}`,
      { code: 'invalid-input' },
    );
  }
  const usable = Array.isArray(classNames) && classNames.length === spec.numClasses && classNames.every((n) => typeof n === 'string');
  const names = usable ? classNames.map((n) => n.slice(0, MAX_NAME)) : Array.from({ length: spec.numClasses }, (_, i) => String(i));
  const py = pyString;
  return `# Loads MNIST Lab weights into the original lab's PyTorch ConvNet. Needs torch and numpy.
#   python3 load_pytorch.py   (or exec it in the original lab's notebook: then use net)
import json
import struct

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

WEIGHTS = ${py(weightsFile)}
depth = [${spec.depth[0]}, ${spec.depth[1]}]
kernel_size = ${spec.kernelSize}
hidden = ${spec.hidden}
image_size = ${spec.imageSize}
num_classes = ${spec.numClasses}
class_names = [${names.map(pyString).join(',')}]


class ConvNet(nn.Module):
    def __init__(self):
        super(ConvNet, self).__init__()
        self.conv1 = nn.Conv2d(1, depth[0], kernel_size, padding=kernel_size // 2)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(depth[0], depth[1], kernel_size, padding=kernel_size // 2)
        self.fc1 = nn.Linear(image_size // 4 * image_size // 4 * depth[1], hidden)
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = self.pool(x)
        x = F.relu(self.conv2(x))
        x = self.pool(x)
        x = x.view(-1, image_size // 4 * image_size // 4 * depth[1])
        x = F.relu(self.fc1(x))
        x = F.dropout(x, p=${spec.dropout}, training=self.training)
        x = self.fc2(x)
        x = F.log_softmax(x, dim=1)
        return x

    def retrieve_features(self, x):
        feature_map1 = F.relu(self.conv1(x))
        x = self.pool(feature_map1)
        feature_map2 = F.relu(self.conv2(x))
        return feature_map1, feature_map2


def load_safetensors(path):
    """A state_dict from a .safetensors file (8-byte header length, JSON header, little-endian data)."""
    dtypes = {'F32': '<f4', 'F64': '<f8', 'F16': '<f2', 'I64': '<i8'}
    with open(path, 'rb') as f:
        raw = f.read()
    n, = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n].decode('utf-8'))
    header.pop('__metadata__', None)
    data = raw[8 + n:]
    state = {}
    for name, info in header.items():
        begin, end = info['data_offsets']
        array = np.frombuffer(data[begin:end], dtype=dtypes[info['dtype']]).reshape(info['shape'])
        state[name] = torch.from_numpy(array.astype(array.dtype.newbyteorder('='), copy=True))
    return state


net = ConvNet()
# strict: every parameter of the ConvNet must be in the file, with its shape. Other tensors a file
# may carry besides the state_dict (images, results) are left out.
state = {k: v for k, v in load_safetensors(WEIGHTS).items() if k in net.state_dict()}
net.load_state_dict(state, strict=True)
net.eval()

if __name__ == '__main__':
    print(net)
    print(sum(p.numel() for p in net.parameters()), 'parameters loaded from', WEIGHTS)
    # A first prediction: an empty image. With the test images x (N×1×${spec.imageSize}×${spec.imageSize}, pixels 0..1):
    #   net(x).argmax(1), and net.retrieve_features(x) for the feature maps.
    with torch.no_grad():
        p = net(torch.zeros(1, 1, image_size, image_size)).exp()[0]
    print('empty image ->', class_names[int(p.argmax())], round(float(p.max()), 4))
`;
}

/** The file name of the snippet written beside exported weights. */
export const SNIPPET_FILE = 'load_pytorch.py';

/** Writes the snippet beside a .safetensors file; returns its path. */
export function writePytorchSnippet(safetensorsFile: string, spec: ConvNetSpec, classNames?: readonly string[]): string {
  const file = join(dirname(safetensorsFile), SNIPPET_FILE);
  writeFileAtomic(file, pytorchSnippet(spec, safetensorsFile, classNames));
  return file;
}
