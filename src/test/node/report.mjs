// What the scripts share: one JSON object per line on stdout (what OutsideClientsIT parses), and a
// deadline after which a script reports a timeout and exits by itself, so that no run can hang.

export function emit(line) {
  process.stdout.write(JSON.stringify(line) + '\n');
}

export function deadline(seconds) {
  setTimeout(() => {
    emit({ kind: 'timeout', seconds });
    process.exit(2);
  }, seconds * 1000);
}

export function finish(line) {
  emit(line);
  process.exit(0);
}

/** The environment variable `name`, or exit with a usage line. */
export function required(name, usage) {
  const value = process.env[name];
  if (!value) {
    emit({ kind: 'usage', message: `${name} is not set; usage: ${usage}` });
    process.exit(64);
  }
  return value;
}
