// "Run Control Experiment…" on a recorded run: the control proposed from the run's probe inputs and
// picked (border:N with N asked and checked), the run's model recorded again with its settings and
// the recorder's `control` option naming the source run, and "Compare with Source Run" opening the
// comparison of the two runs: from the offer, the tree (the control run is marked there) and the
// run panel. The dialogs are the command's replaceable `ui` (a quick pick cannot be answered here).
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import * as vscode from 'vscode';
import type { ControlResult } from '../../../src/extension/commands/control';
import type { CnnSlicerApi } from '../../../src/extension/extension';
import type { RunNode } from '../../../src/extension/runs/runsTree';
import { activate, waitFor } from './helpers';
import { sharedFixtureRun } from './recordedRuns';

describe('Run Control Experiment…', function () {
  this.timeout(180_000);
  let api: CnnSlicerApi;
  let controlFolder: string | undefined;

  before(async () => {
    api = await activate();
  });

  after(async () => {
    // The control run is removed again: the other tests read the fixture model's newest run.
    if (controlFolder) {
      await rm(controlFolder, { recursive: true, force: true });
      api.ctx.runs.refresh();
    }
  });

  it('is offered on a completed run in the tree and in the palette', () => {
    const manifest = api.ctx.extensionContext.extension.packageJSON as {
      contributes: { menus: Record<string, { command: string; when?: string }[]> };
    };
    const tree = manifest.contributes.menus['view/item/context'].find((m) => m.command === 'cnnSlicer.runControlExperiment');
    assert.match(tree?.when ?? '', /viewItem =~ \/\^run\\\\?\.done\//);
    assert.match(tree?.when ?? '', /isWorkspaceTrusted/);
    const palette = manifest.contributes.menus.commandPalette.find((m) => m.command === 'cnnSlicer.runControlExperiment');
    assert.equal(palette?.when, 'isWorkspaceTrusted');
  });

  it('records the model again with the control and offers to compare it with the source run', async () => {
    const source = await sharedFixtureRun(api);
    const asked: string[] = [];
    const proposed: string[] = [];
    const offered: string[] = [];
    const saved = api.controlCommands.ui;
    api.controlCommands.ui = {
      pickKind: async (items) => {
        asked.push(items.map((i) => i.label).join(' | '));
        proposed.push(...items.filter((i) => i.description).map((i) => `${i.description}: ${i.detail}`));
        return items.find((i) => i.control === 'border');
      },
      askValue: async (_prompt, _value, validate) => {
        // The box refuses what the recorder would refuse.
        assert.ok(validate('0'));
        assert.ok(validate('2.5'));
        assert.equal(validate('3'), undefined);
        return '3';
      },
      offer: async (message, action) => {
        offered.push(message);
        return action;
      },
    };
    try {
      const result = await vscode.commands.executeCommand<ControlResult | undefined>('cnnSlicer.runControlExperiment', {
        runFolder: source,
      });
      assert.ok(result, 'the command ran');
      // The proposed control comes first, with why (measured on the run's probe inputs by the analysis service).
      assert.equal(proposed.length, 1, asked[0]);
      assert.match(proposed[0], /^proposed: (border:\d+|shuffle-pixels): .*Proposed: /);
      assert.deepEqual(asked[0].split(' | ').sort(), ['border:N', 'mask-centre:F', 'shuffle-labels', 'shuffle-pixels']);
      assert.match(asked[0], proposed[0].startsWith('proposed: border') ? /^border:N/ : /^shuffle-pixels/);
      assert.equal(result.spec, 'border:3');
      assert.equal(result.sourceRun, source);
      assert.equal(result.outcome?.kind, 'done', JSON.stringify(result.outcome));
      controlFolder = result.outcome.kind === 'done' ? result.outcome.folder : undefined;
      assert.ok(controlFolder && controlFolder !== source);
      const control = await waitFor('the control run in the index', () => api.ctx.runs.find(controlFolder!));
      assert.equal(control.manifest.model.file, (await api.ctx.runs.find(source))?.manifest.model.file);
      assert.equal(control.manifest.control?.sourceRun.id, (await api.ctx.runs.find(source))?.manifest.id, 'linked to its source run');
      // The lenses, hovers and Problems entries keep reading the model's own run, not the control's.
      assert.equal((await api.ctx.runs.newestOfModel(control.manifest.model.file))?.folder, source);
      await waitFor('the offer to compare', () => offered.length === 1);
      assert.match(offered[0], /control experiment border:3 of run/);
      await waitFor(
        'the comparison of the source and control runs',
        () => api.comparePanels.panelOf([source, controlFolder!]) !== undefined,
      );
      api.comparePanels.close([source, controlFolder]);

      // The tree marks the control run with its spec, and offers Compare with Source Run on it (once it reads as done).
      const runNode = await waitFor('the control run, done, in the tree', async () => {
        const node = (await api.runsView.provider.getChildren())
          .flatMap((n) => (n.kind === 'model' ? n.runs : []))
          .find((n): n is RunNode => n.runFolder === controlFolder);
        return node && api.runsView.provider.getTreeItem(node).contextValue === 'run.done.control' ? node : undefined;
      });
      const item = api.runsView.provider.getTreeItem(runNode);
      assert.match(String(item.description), /^control border:3 · /);
      const compared = await vscode.commands.executeCommand<string[] | undefined>('cnnSlicer.compareWithSourceRun', runNode);
      assert.deepEqual(compared, [source, controlFolder]);
      await waitFor('the comparison from the tree', () => api.comparePanels.panelOf([source, controlFolder!]) !== undefined);
      api.comparePanels.close([source, controlFolder]);

      // The run panel's header (and the control finding) post webview/compareWithSource: the host opens the comparison.
      await vscode.commands.executeCommand('cnnSlicer.openRun', { runFolder: controlFolder });
      await waitFor('the control run panel', () => api.panels.panelOf(controlFolder!) !== undefined);
      assert.ok(api.panels.receiveFromWebview(controlFolder, { type: 'webview/compareWithSource' }));
      await waitFor('the comparison from the panel', () => api.comparePanels.panelOf([source, controlFolder!]) !== undefined);
      api.comparePanels.close([source, controlFolder]);
      api.panels.close(controlFolder);
    } finally {
      api.controlCommands.ui = saved;
    }
  });
});
