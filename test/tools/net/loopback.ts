// Real TCP connections over loopback for the network tool tests: a listener process and a client process, each
// a python3 child with its own comm (set with prctl) so the tests can tell them apart from anything else running.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

export const SERVER_COMM = 'bpfk_srv';
export const CLIENT_COMM = 'bpfk_cli';

const PRELUDE = `
import ctypes, socket, sys
ctypes.CDLL(None).prctl(15, sys.argv[1].encode(), 0, 0, 0)
host = sys.argv[2]
fam = socket.AF_INET6 if ':' in host else socket.AF_INET
`;

// Listens and prints its port; then, one connection at a time until killed: accepts, prints "accepted", reads
// until the client closes, closes.
const SERVER = `${PRELUDE}
s = socket.socket(fam)
s.bind((host, 0))
s.listen(8)
print(s.getsockname()[1], flush=True)
while True:
    a, _ = s.accept()
    print('accepted', flush=True)
    try:
        while a.recv(64):
            pass
    except OSError:
        pass  # reset by a client that aborts
    a.close()
`;

// Connects to each port given in turn, prints the local port of each, closes (with RST if argv[3] == 'abort').
// With CGROUP_PROCS set, it first moves itself into that cgroup.
const CLIENT = `${PRELUDE}
import os, struct
if os.environ.get('CGROUP_PROCS'):
    with open(os.environ['CGROUP_PROCS'], 'w') as f:
        f.write(str(os.getpid()))
for port in sys.argv[4:]:
    c = socket.socket(fam)
    if sys.argv[3] == 'abort':
        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    try:
        c.connect((host, int(port)))
        print(c.getsockname()[1], flush=True)
    except OSError:
        print('refused', flush=True)
    c.close()
`;

function lines(child: ChildProcess): AsyncIterator<string> {
  return createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
}

async function nextLine(it: AsyncIterator<string>, what: string): Promise<string> {
  const r = await it.next();
  if (r.done) throw new Error(`${what} ended before printing a line`);
  return r.value;
}

export interface Listener {
  pid: number;
  port: number;
  /** Resolves once the server has accepted its next connection. */
  accepted(): Promise<void>;
  kill(): void;
}

/** Starts a listener on `host` (127.0.0.1 or ::1), port chosen by the kernel. */
export async function listen(host = '127.0.0.1'): Promise<Listener> {
  const child = spawn('python3', ['-c', SERVER, SERVER_COMM, host], { stdio: ['ignore', 'pipe', 'inherit'] });
  const it = lines(child);
  const port = Number(await nextLine(it, 'listener'));
  return {
    pid: child.pid!,
    port,
    accepted: async () => {
      if ((await nextLine(it, 'listener')) !== 'accepted') throw new Error('listener did not accept');
    },
    kill: () => void child.kill('SIGKILL'),
  };
}

export interface ClientRun {
  pid: number;
  /** The client's local (ephemeral) port for each connect, or undefined if it was refused. */
  localPorts: Array<number | undefined>;
}

/** Runs a client that connects to each of `ports` on `host` in turn and closes each at once (inside `cgroup`, a cgroup v2 directory, if given). */
export async function connect(host: string, ports: number[], opts: { abort?: boolean; cgroup?: string } = {}): Promise<ClientRun> {
  const child = spawn('python3', ['-c', CLIENT, CLIENT_COMM, host, opts.abort ? 'abort' : 'close', ...ports.map(String)], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, CGROUP_PROCS: opts.cgroup ? `${opts.cgroup}/cgroup.procs` : '' },
  });
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const localPorts: Array<number | undefined> = [];
  for await (const line of createInterface({ input: child.stdout! })) localPorts.push(line === 'refused' ? undefined : Number(line));
  const code = await exit;
  if (code !== 0) throw new Error(`client exited with ${code}`);
  return { pid: child.pid!, localPorts };
}
