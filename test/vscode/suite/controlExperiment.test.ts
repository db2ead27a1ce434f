// "Run Control Experiment…" on a recorded run: the control picked (border:N with N asked and
// checked), the run's model recorded again with its settings and the recorder's `control` option
// naming the source run, and "Compare with Source Run" opening the comparison of the two runs.
// The dialogs are the command's replaceable `ui` (a quick pick cannot be answered here).
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import * as vscode from 'vscode';
import type { ControlResult } from '../../../src/extension/commands/control';
import type { CnnSlicerApi } from '../../../src/extension/extension';
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
    assert.match(tree?.when ?? '', /viewItem == run\.done/);
    assert.match(tree?.when ?? '', /isWorkspaceTrusted/);
    const palette = manifest.contributes.menus.commandPalette.find((m) => m.command === 'cnnSlicer.runControlExperiment');
    assert.equal(palette?.when, 'isWorkspaceTrusted');
  });

  it('records the model again with the control and offers to compare it with the source run', async () => {
    const source = await sharedFixtureRun(api);
    const asked: string[] = [];
    const offered: string[] = [];
    const saved = api.controlCommands.ui;
    api.controlCommands.ui = {
      pickKind: async (items) => {
        asked.push(items.map((i) => i.label).join(' | '));
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
      assert.equal(asked[0], 'border:N | mask-centre:F | shuffle-pixels | shuffle-labels');
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
    } finally {
      api.controlCommands.ui = saved;
    }
  });
});
