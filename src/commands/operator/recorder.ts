/**
 * The operator's InputRecorder (spec.debug.recordInput, docs/troubleshooting.md): each recording
 * is one capture file in --record-dir, written by a CaptureWriter and bounded by the spec.
 */

import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '../../core/log.js';
import type { InputRecorder, InputRecorderRequest } from '../../pipeline/pipeline.js';
import { makeHeader } from '../../replay/header.js';
import { CaptureWriter } from '../../replay/writer.js';

/** `<namespace>_<name>_<start, colons as dashes>.ndjson`: names without a path separator, sorted by time. */
export function recordingFileName(collector: { namespace: string; name: string }, at: number): string {
  return `${collector.namespace}_${collector.name}_${new Date(at).toISOString().replace(/:/g, '-')}.ndjson`;
}

export function fileRecorders(dir: string, kspanVersion: string, log: Logger, clusterUid?: string): (request: InputRecorderRequest) => InputRecorder {
  return (request) => {
    const path = join(dir, recordingFileName(request.collector, request.now));
    const rlog = log.child({ collector: request.collector, file: path });
    // 'wx': never write into a file that is there already (another replica's, an earlier run's).
    const stream = createWriteStream(path, { flags: 'wx' });
    let failed = false;
    stream.on('error', (err) => {
      failed = true;
      rlog.error({ err }, 'input recording failed');
    });
    const namespaces = request.spec.namespaces ?? [request.collector.namespace];
    const header = makeHeader({ kspanVersion, recorder: 'operator', namespaces, spec: request.spec, collector: request.collector, tickOrigin: request.tickOrigin, clusterUid });
    const writer = new CaptureWriter(
      (line) => {
        if (!failed) stream.write(line);
      },
      header,
      request.now,
      request.limits,
      (why) => {
        stream.end();
        if (why !== 'closed') rlog.info({ reason: why, bytes: writer.bytes, events: writer.events, objects: writer.objects }, `input recording finished: ${why} reached`);
        else rlog.info({ bytes: writer.bytes, events: writer.events, objects: writer.objects }, 'input recording finished');
      },
    );
    rlog.info({ limits: request.limits }, 'recording the input');
    return {
      get open() {
        return writer.open && !failed;
      },
      event: (event, at) => void writer.event(event, at),
      object: (object, at) => void writer.object(object, at),
      close: () => writer.close(),
    };
  };
}
