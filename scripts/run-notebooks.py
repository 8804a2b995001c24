"""Execute Jupyter notebooks headless on the project's tslab kernel (called by scripts/run-notebooks).

Runs every cell with nbclient, stops a notebook at its first failing cell and prints that cell's
stderr output: tslab reports type errors and exceptions there, and nbclient's own exception text
for tslab is empty. Executed copies (and an HTML export when nbconvert is installed) go to --out.
The last line is always 'N passed, N failed'; the exit status is 1 when any notebook failed.

Needs Debian's python3-nbclient (with jupyter-client and jupyter-core); run it with /usr/bin/python3.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    p.add_argument('paths', nargs='*', help='notebooks or folders of notebooks (default: notebooks/)')
    p.add_argument('--out', default=str(ROOT / 'notebooks' / '.executed'),
                   help='folder for executed copies and HTML exports (default: notebooks/.executed)')
    p.add_argument('--timeout', type=int, default=600, help='seconds allowed per cell (default 600)')
    p.add_argument('--kernel', default='tslab', help='kernel name (default tslab, from jupyter/kernels)')
    p.add_argument('--no-html', action='store_true', help='skip the HTML export')
    return p.parse_args()


def find_notebooks(paths):
    found = []
    for raw in paths or [str(ROOT / 'notebooks')]:
        path = Path(raw)
        if path.is_dir():
            # Hidden folders hold executed copies and checkpoints, never sources.
            found += sorted(p for p in path.glob('*.ipynb') if not p.name.startswith('.'))
        elif path.suffix == '.ipynb' and path.exists():
            found.append(path)
        else:
            sys.exit(f'run-notebooks: no notebook at {raw}')
    return found


def stderr_of(cell):
    """Text of a cell's stderr stream outputs and error outputs (tslab uses the former)."""
    parts = []
    for out in cell.get('outputs', []):
        if out.get('output_type') == 'stream' and out.get('name') == 'stderr':
            parts.append(out.get('text', ''))
        elif out.get('output_type') == 'error':
            parts.append(f"{out.get('ename', '')}: {out.get('evalue', '')}\n")
            parts += [line + '\n' for line in out.get('traceback', [])]
    return ''.join(parts).rstrip('\n')


def html_exporter():
    try:
        from nbconvert import HTMLExporter
    except ImportError:
        return None
    return HTMLExporter()


def run_one(nb_path, args, exporter):
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    nb = nbformat.read(str(nb_path), as_version=4)
    # The kernel starts in the notebook's folder so that '../dist/index.js' resolves.
    client = NotebookClient(nb, kernel_name=args.kernel, timeout=args.timeout,
                            resources={'metadata': {'path': str(nb_path.parent.resolve())}})
    failure = None
    start = time.monotonic()
    try:
        with client.setup_kernel():
            for index, cell in enumerate(nb.cells):
                try:
                    client.execute_cell(cell, index)
                except (CellExecutionError, CellTimeoutError, DeadKernelError) as err:
                    failure = (index, cell, err)
                    break
    except Exception as err:  # kernel failed to start, or died during shutdown
        failure = (None, None, err)
    seconds = time.monotonic() - start

    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(out_dir / nb_path.name))
    html_note = ''
    if exporter is not None:
        body, _ = exporter.from_notebook_node(nb)
        (out_dir / (nb_path.stem + '.html')).write_text(body, encoding='utf-8')

    if failure is None:
        print(f'PASS {nb_path.name} ({seconds:.1f} s)', flush=True)
        return True
    index, cell, err = failure
    where = f'cell {index + 1}' if index is not None else 'kernel'
    print(f'FAIL {nb_path.name} ({seconds:.1f} s) at {where}', flush=True)
    if cell is not None:
        print('--- cell source ---')
        print(cell.source)
    text = stderr_of(cell) if cell is not None else ''
    print('--- stderr ---')
    print(text if text else (str(err).strip() or type(err).__name__))
    print('---', flush=True)
    return False


def main():
    args = parse_args()
    try:
        import nbclient  # noqa: F401
        import nbformat  # noqa: F401
    except ImportError as err:
        sys.exit(f'run-notebooks: {err}; install Debian packages: '
                 'apt-get install python3-nbclient jupyter-client jupyter-core')
    # The project-local kernel spec (jupyter/kernels/tslab): nothing is installed globally.
    os.environ['JUPYTER_PATH'] = os.pathsep.join(
        p for p in [str(ROOT / 'jupyter'), os.environ.get('JUPYTER_PATH', '')] if p)

    exporter = None if args.no_html else html_exporter()
    if exporter is None and not args.no_html:
        print('note: nbconvert is not installed (apt-get install python3-nbconvert): no HTML export')

    notebooks = find_notebooks(args.paths)
    passed = failed = 0
    for nb_path in notebooks:
        if run_one(nb_path, args, exporter):
            passed += 1
        else:
            failed += 1
    print(f'executed copies in {args.out}')
    print(f'{passed} passed, {failed} failed', flush=True)
    sys.exit(1 if failed or not notebooks else 0)


if __name__ == '__main__':
    main()
