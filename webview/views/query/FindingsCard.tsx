// The run's findings, first thing in its panel: what the recorded measures say about the model, each
// with its severity, layer, one-line message, the measured ablation of the channels it names, and
// the view that shows the evidence (a click opens it at the layer, channel and epoch).
import type { JSX } from 'preact';
import type { Finding, FindingsAnswer } from '../../../src/contract/queries';
import { importanceQueries } from '../../../src/contract/plan';
import { applyFocus, shown, useApp, useQuery } from '../../state';
import { Card, LayerName, QueryStatus } from '../../ui';
import { ablationLine, evidenceFocus, evidenceText, findingLine, VIEW_TITLES } from '../../../src/contract/findingsText';

const ICONS: Record<Finding['severity'], string> = { warning: '⚠', information: 'ℹ' };

export function FindingsCard(): JSX.Element {
  const { data } = useApp();
  const result = useQuery(importanceQueries.findings(), 'query');
  const a: FindingsAnswer | undefined = shown(result);
  const warnings = a?.findings.filter((f) => f.severity === 'warning').length ?? 0;
  return (
    <Card
      title={a ? `Findings at epoch ${a.epoch}` : 'Findings'}
      label="Findings: what the recorded measures say about the model, each opening the view that shows its evidence"
      class="wide findings-card"
      export={a && findingsExport(a, data.mode === 'vscode' ? 'vscode' : 'cli')}
    >
      <QueryStatus result={result} what="the findings" />
      {a && (
        <>
          <p class="muted chart-note" data-testid="findings-summary">
            {a.findings.length === 0
              ? `No finding at epoch ${a.epoch}: no rule's threshold is crossed.`
              : `${a.findings.length} finding${a.findings.length === 1 ? '' : 's'} (${warnings} warning${warnings === 1 ? '' : 's'}). Click one to open the view that shows its evidence.`}
          </p>
          <ul class="findings-list" aria-label="Findings">
            {a.findings.map((f, i) => (
              <FindingItem key={i} finding={f} />
            ))}
          </ul>
          {a.skipped.length > 0 && (
            <details class="findings-skipped">
              <summary>
                {a.skipped.length} rule{a.skipped.length === 1 ? '' : 's'} not checked on this run
              </summary>
              <ul>
                {a.skipped.map((s) => (
                  <li key={s.kind}>
                    {s.kind}: {s.reason}
                  </li>
                ))}
              </ul>
            </details>
          )}
        </>
      )}
    </Card>
  );
}

function FindingItem(props: { finding: Finding }): JSX.Element {
  const { manifest, data, update } = useApp();
  const f = props.finding;
  const target = evidenceFocus(f, manifest);
  const proof = ablationLine(f);
  const open = () => {
    if (!target) return;
    update((old) => applyFocus({ ...old, ...(target.epoch !== undefined ? { epoch: target.epoch } : {}) }, target.focus));
  };
  const where = VIEW_TITLES[f.view.view];
  const line = findingLine(f, data.mode === 'vscode' ? 'vscode' : 'cli');
  return (
    <li class={`finding finding-${f.severity}`} data-kind={f.kind} data-severity={f.severity} data-layer={f.layer ?? ''}>
      <div class="finding-head">
        <span class="finding-icon" role="img" aria-label={f.severity}>
          {ICONS[f.severity]}
        </span>
        {f.layer !== undefined ? (
          <LayerName layer={f.layer} />
        ) : (
          <span class="muted">{f.kind.startsWith('control') ? 'run' : 'model'}</span>
        )}
        {target ? (
          <button
            type="button"
            class="finding-open"
            data-testid="finding-open"
            title={`Open the ${where}${f.layer !== undefined ? ` at ${f.layerName ?? `layer ${f.layer}`}` : ''}: its evidence`}
            onClick={open}
          >
            {line} <span class="finding-where">→ {where}</span>
          </button>
        ) : (
          <span class="finding-message">{line}</span>
        )}
      </div>
      {proof && (
        <p class="finding-proof" data-testid="finding-proof">
          {proof}
        </p>
      )}
      {!target && (
        <p class="muted finding-compare" data-testid="finding-compare">
          {data.compareWithSource && manifest.control?.sourceRun.id === f.view.run ? (
            <button type="button" class="link-button" data-testid="finding-compare-open" onClick={() => data.compareWithSource?.()}>
              Compare with Source Run (run {f.view.run})
            </button>
          ) : (
            <>
              The evidence is the comparison with run {f.view.run ?? '(not named)'}:{' '}
              {data.mode === 'vscode'
                ? 'select both runs in Recorded Runs and choose Compare Runs.'
                : `write a comparison report of both runs (cnn-slicer report <this run> <run ${f.view.run ?? ''}>).`}
            </>
          )}
        </p>
      )}
      <details class="finding-detail">
        <summary>Detail</summary>
        <p>{f.detail}</p>
        {Object.keys(f.evidence).length > 0 && (
          <dl class="finding-evidence">
            {Object.entries(f.evidence).map(([name, value]) => (
              <div key={name}>
                <dt>{name}</dt>
                <dd>{evidenceText(value)}</dd>
              </div>
            ))}
          </dl>
        )}
        {f.source && (
          <p class="muted">
            Defined at {f.source.file.split(/[\\/]/).pop()}:{f.source.line}
          </p>
        )}
      </details>
    </li>
  );
}

function findingsExport(a: FindingsAnswer, where: 'vscode' | 'cli') {
  return {
    name: `findings-epoch-${a.epoch}`,
    table: () => ({
      columns: ['severity', 'kind', 'layer', 'epoch', 'message', 'ablation', 'source', 'view'],
      rows: a.findings.map((f) => [
        f.severity,
        f.kind,
        f.layerName ?? null,
        f.epoch,
        findingLine(f, where),
        ablationLine(f) ?? null,
        f.source ? `${f.source.file}:${f.source.line}` : null,
        f.view.view,
      ]),
    }),
    json: () => a,
  };
}
