// A whole loopback TCP session in one python3 process (comm "python3"): a server thread accepts, the client sends,
// the server answers, the client closes first and the server closes on EOF. For tcplife and tcpstates.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

/** Prints "pid client_port bytes_received". argv: port, host, bytes the client sends, bytes the server answers. */
const SESSION = `
import os, socket, sys, threading
port, host, send, reply = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
srv = socket.socket(socket.AF_INET6 if ':' in host else socket.AF_INET)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((host, port))
srv.listen()
def receive(sock, limit):
    n = 0
    while n < limit:
        d = sock.recv(65536)
        if not d:
            break
        n += len(d)
    return n
def serve():
    c, _ = srv.accept()
    receive(c, send)
    c.sendall(b's' * reply)
    while c.recv(65536):
        pass
    c.close()
t = threading.Thread(target=serve)
t.start()
c = socket.create_connection((host, port))
c.sendall(b'c' * send)
n = receive(c, reply)
lport = c.getsockname()[1]
c.close()
t.join()
srv.close()
print(os.getpid(), lport, n, flush=True)
`;

/** A TCP port nobody listens on right now (bound and released by this process). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs the session to `port` on `host`; returns the python3 pid and the client's local port. */
export function loopbackSession(port: number, { host = '127.0.0.1', send = 5000, reply = 0 } = {}): { pid: number; clientPort: number } {
  const r = spawnSync('python3', ['-c', SESSION, String(port), host, String(send), String(reply)], { encoding: 'utf8', timeout: 10000 });
  assert.equal(r.status, 0, r.stderr);
  const [pid, clientPort, received] = r.stdout.trim().split(' ').map(Number) as [number, number, number];
  assert.equal(received, reply);
  return { pid, clientPort };
}

/** The --json lines printed so far, parsed. */
export function jsonRecords(stdout: string): Array<Record<string, unknown>> {
  return stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
}
