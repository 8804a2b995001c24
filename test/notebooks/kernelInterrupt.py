"""Kernel > Interrupt through Jupyter's own client (test/notebooks/kernelInterrupt.test.ts runs this).

Starts the project's tslab kernel (jupyter/kernels/tslab) in notebooks/, runs a long generate (or
a sweep) on the tiny model whose progress callback writes the decoder step to a file, interrupts
the kernel with jupyter_client's KernelManager.interrupt_kernel() (SIGINT, what Notebook's
Kernel > Interrupt sends), watches the step file, then runs one more cell. Prints one JSON object.

usage: kernelInterrupt.py ROOT WORKDIR generate|sweep|late
"""

import json
import os
import sys
import time
from pathlib import Path

from jupyter_client import KernelManager

ROOT = Path(sys.argv[1])
WORK = Path(sys.argv[2])
MODE = sys.argv[3]
STEPS = WORK / 'steps.txt'

SETUP = """
import { writeFileSync } from 'fs';
import { MusicGen } from '../dist/index.js';
import { runSweep } from '../dist/analysis/index.js';
import { tinyModel } from '../dist/notebook/index.js';
const stepFile = %s;
const tiny = tinyModel();
""" % json.dumps(str(STEPS))

# 120 s at 50 frames/s: 6018 decoder steps in four extendStride windows on the tiny model.
GENERATE = """
const musicgen = await MusicGen.load(tiny.dir);
const result = await musicgen.generate('solo piano', {
  params: { duration: 120, seed: 1 },
  progress: (step, total) => writeFileSync(stepFile, `${step} ${total}`),
});
console.log('generate returned');
"""

SWEEP = """
const spec = {
  name: 'interrupt', duration: 4, seeds: [1, 2, 3, 4, 5],
  models: [{ name: 'tiny', path: tiny.dir }], prompts: [{ id: 'p', text: 'solo piano' }],
};
const sweepDir = %s;
const run = await runSweep(spec, {
  outDir: sweepDir, maxBatch: 1,
  progress: (p) => writeFileSync(stepFile, `${p.doneSteps} ${p.totalSteps} ${p.doneSamples}`),
});
console.log(`sweep returned: ${run.skipped.length} skipped, ${run.generated.length} generated`);
""" % json.dumps(str(WORK / 'sweep'))

# Interrupted while it waits, before its generate starts: tslab's own interrupt ends the cell,
# and the generate that the rest of the cell still starts must stop at once.
LATE = """
const late = await MusicGen.load(tiny.dir);
writeFileSync(stepFile + '.waiting', 'yes');
await new Promise((r) => setTimeout(r, 3000));
await late.generate('solo piano', { params: { duration: 10 }, progress: (step, total) => writeFileSync(stepFile, `${step} ${total}`) });
"""

NEXT = """
console.log(`next cell ran: 6 * 7 = ${6 * 7}`);
"""


def read_steps():
    try:
        return [int(x) for x in STEPS.read_text().split()]
    except (FileNotFoundError, ValueError):
        return None


def run(kc, code, timeout=120):
    """Executes a cell; returns (reply status, stdout, stderr)."""
    msg_id = kc.execute(code)
    return collect(kc, msg_id, timeout)


def collect(kc, msg_id, timeout):
    out, err = [], []
    deadline = time.monotonic() + timeout
    while True:
        msg = kc.get_iopub_msg(timeout=max(0.1, deadline - time.monotonic()))
        if msg['parent_header'].get('msg_id') != msg_id:
            continue
        kind, content = msg['msg_type'], msg['content']
        if kind == 'stream':
            (out if content['name'] == 'stdout' else err).append(content['text'])
        elif kind == 'error':
            err.append('\n'.join(content.get('traceback', [])) or content.get('evalue', ''))
        elif kind == 'status' and content['execution_state'] == 'idle':
            break
    reply = kc.get_shell_msg(timeout=timeout)
    while reply['parent_header'].get('msg_id') != msg_id:
        reply = kc.get_shell_msg(timeout=timeout)
    return reply['content']['status'], ''.join(out), ''.join(err)


def main():
    WORK.mkdir(parents=True, exist_ok=True)
    print(json.dumps(session()))


def session():
    os.environ['JUPYTER_PATH'] = os.pathsep.join(p for p in [str(ROOT / 'jupyter'), os.environ.get('JUPYTER_PATH', '')] if p)
    km = KernelManager(kernel_name='tslab')
    km.start_kernel(cwd=str(ROOT / 'notebooks'))
    result = {}
    try:
        kc = km.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        status, out, err = run(kc, SETUP)
        if status != 'ok':
            raise SystemExit(f'setup cell failed: {err}')
        if MODE == 'late':
            msg_id = kc.execute(LATE)
            waiting = Path(str(STEPS) + '.waiting')
            deadline = time.monotonic() + 120
            while not waiting.exists():
                if time.monotonic() > deadline:
                    raise SystemExit('the late cell never reached its wait')
                time.sleep(0.02)
            km.interrupt_kernel()
            status, out, err = collect(kc, msg_id, 60)
            result['status'], result['stdout'], result['stderr'] = status, out, err
            time.sleep(6)  # past the end of the cell's 3 s wait
            result['steps'] = read_steps()
            status, out, err = run(kc, NEXT)
            result['next'] = {'status': status, 'stdout': out, 'stderr': err}
            kc.stop_channels()
            return result
        msg_id = kc.execute(GENERATE if MODE == 'generate' else SWEEP)
        # Interrupt once the work is well under way.
        deadline = time.monotonic() + 120
        while True:
            s = read_steps()
            if s and s[0] >= (300 if MODE == 'generate' else 1) and (MODE == 'generate' or s[2] >= 2):
                break
            if time.monotonic() > deadline:
                raise SystemExit(f'no progress before the interrupt: {s}')
            time.sleep(0.02)
        result['before'] = read_steps()
        t0 = time.monotonic()
        km.interrupt_kernel()
        status, out, err = collect(kc, msg_id, 60)
        result['cell_seconds'] = time.monotonic() - t0
        result['status'], result['stdout'], result['stderr'] = status, out, err
        # The step counter: where it stands 2 s after the interrupt, and 2 s later still.
        time.sleep(max(0.0, t0 + 2 - time.monotonic()))
        result['at2s'] = read_steps()
        time.sleep(2)
        result['at4s'] = read_steps()
        status, out, err = run(kc, NEXT)
        result['next'] = {'status': status, 'stdout': out, 'stderr': err}
        if MODE == 'sweep':
            # Run again in the same kernel: the finished samples are skipped, the rest generated.
            STEPS.unlink(missing_ok=True)
            status, out, err = run(kc, SWEEP, 300)
            result['resume'] = {'status': status, 'stdout': out, 'stderr': err}
        kc.stop_channels()
    finally:
        km.shutdown_kernel(now=True)
    return result


if __name__ == '__main__':
    main()
