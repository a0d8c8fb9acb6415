/** A replica on a worker thread (bundled as replica-worker.js); see ThreadGroup in group.ts. */
import { parentPort, workerData } from 'node:worker_threads';
import { selectBackend } from '../backends';
import { errorMessage } from '../errors';
import { imagesTensor } from '../analysis/evaluate';
import { type FromReplica, type ReplicaInit, type ToReplica, stepsPerEpochOf } from './group';
import { Schedule } from './schedule';
import { Replica, ReplicaMemory, paramLayout } from './replica';
import { Arena } from './sgdKernel';

const init = workerData as ReplicaInit;
const port = parentPort!;
const send = (m: FromReplica) => port.postMessage(m);

async function main(): Promise<void> {
  await selectBackend(init.backend, init.backendOptions);
  // Views of the coordinator's shared memory, rebuilt here from offsets: the SIMD update needs
  // them to be views of this thread's own WebAssembly.Memory object's buffer.
  const arena = Arena.of(init.memory, true);
  const P = paramLayout(init.spec).total;
  const R = init.replicas;
  const replica = new Replica(
    init.spec,
    init.initial,
    init.config.training,
    ReplicaMemory.at(arena, P, init.memoryOffsets[init.index]!),
    true,
    init.kernel,
  );
  const schedule = new Schedule(init.config.training, stepsPerEpochOf(init));
  let valX: ReturnType<typeof imagesTensor> | null = null;
  const validationTensor = () => (valX ??= imagesTensor(init.validation));
  const grads = arena.at(init.gradsOffset, 2 * R * P);
  const slotView = (slot: number, r: number) => grads.subarray((slot * R + r) * P, (slot * R + r + 1) * P);
  /** The step whose gradients are complete in shared memory but not applied here yet. */
  let pending: { slot: number; step: number } | null = null;
  const applyPending = () => {
    if (!pending) return;
    const { slot, step } = pending;
    let n = 0;
    for (let r = 0; r < R; r++) n += init.counts[slot * R + r]!;
    const weights = Array.from({ length: R }, (_, r) => init.counts[slot * R + r]! / n);
    replica.apply(
      Array.from({ length: R }, (_, r) => slotView(slot, r)),
      weights,
      schedule.at(step),
    );
    pending = null;
  };
  port.on('message', (m: ToReplica) => {
    try {
      if (m.type === 'exit') {
        valX?.dispose();
        replica.dispose();
        port.close();
        return;
      }
      // Every command first applies the previous step: by now all its shards are written.
      applyPending();
      if (m.type === 'step') {
        const indices = init.order.subarray(m.row, m.row + m.n);
        const out = slotView(m.slot, init.index);
        const r =
          m.n > 0
            ? replica.gradients(init.train, indices, m.step, m.row, out, init.config.model.dropout)
            : (out.fill(0), { loss: 0, right: 0, n: 0 });
        pending = { slot: m.slot, step: m.step };
        send({ type: 'stepped', ...r });
      } else if (m.type === 'validate') {
        send({ type: 'validated', right: replica.correct(init.validation, validationTensor, m.start, m.count) });
      } else if (m.type === 'weights') {
        send({ type: 'weights', values: replica.values() });
      }
    } catch (e) {
      send({ type: 'error', message: `replica ${init.index}: ${errorMessage(e)}` });
    }
  });
  send({ type: 'ready' });
}

main().catch((e) => send({ type: 'error', message: `replica ${init.index}: ${errorMessage(e)}` }));
