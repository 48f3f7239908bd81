/**
 * src/worker.ts with a CPU profiler the parent switches on and off over IPC, for
 * `npm run bench -- reminders --profile` (a signal-terminated worker would never write --cpu-prof's file).
 * Messages: {cmd: 'profile-start'}, {cmd: 'profile-stop', file} → answers {profiled: file}.
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const session = new Session();
session.connect();

process.on('message', (message: { cmd?: string; file?: string }) => {
  if (message.cmd === 'profile-start') {
    session.post('Profiler.enable', () => session.post('Profiler.setSamplingInterval', { interval: 250 }, () => session.post('Profiler.start')));
  } else if (message.cmd === 'profile-stop' && message.file) {
    session.post('Profiler.stop', (error, result) => {
      if (!error) writeFileSync(message.file!, JSON.stringify(result.profile));
      process.send!({ profiled: error ? null : message.file });
    });
  }
});

// eslint-disable-next-line @typescript-eslint/no-require-imports
require('../src/worker');
