"""``monitor ranker train`` / ``monitor ranker show``: the learned order of the daily list."""

from __future__ import annotations

import click

from monitor.cli.common import common_options, settings
from monitor.context import open_store
from monitor.ranking import MIN_PER_CLASS, NotEnoughDecisions, label, load_model, train_and_rank


def _metrics_lines(m: dict) -> list[str]:
    lines = [f"reviewed {m.get('n_reviewed')} (confirmed {m.get('n_confirmed')}, dismissed {m.get('n_dismissed')}); "
             f"held-out test {m.get('n_test')}"]
    for pct in (10, 20):
        if f"k{pct}" in m:
            lines.append(
                f"top {pct}% (k={m[f'k{pct}']}): precision learned {m[f'precision_at_{pct}_model']:.2f} "
                f"vs score {m[f'precision_at_{pct}_score']:.2f} -> lift "
                + (f"{m[f'lift_at_{pct}']:.2f}" if m.get(f"lift_at_{pct}") is not None else "n/a"))
    if m.get("auc_model") is not None:
        lines.append(f"AUC learned {m['auc_model']:.3f} vs score {m['auc_score']:.3f}")
    return lines


def _weights_lines(weights, lang: str) -> list[str]:
    return [f"  {w:+.3f}  {label(n, lang)} ({n})" for n, w in weights]


@click.group()
def ranker() -> None:
    """Urutan pembelajaran dari keputusan pengawas / learned order from watchers' decisions."""


@ranker.command("train")
@click.option("--min-per-class", type=click.IntRange(1), default=MIN_PER_CLASS, show_default=True,
              help="Minimal keputusan per kelas / minimum decisions per class.")
@click.option("--by", "actor", default="cli", show_default=True, help="Actor for the audit log.")
@common_options
@click.pass_context
def train_cmd(ctx, min_per_class: int, actor: str) -> None:
    """Latih dari temuan yang sudah ditinjau, lalu urutkan temuan baru / train, then rank new hits."""
    s = settings(ctx)
    with open_store(s.config, s.db_path) as store:
        try:
            out = train_and_rank(store, actor=actor, min_per_class=min_per_class)
        except NotEnoughDecisions as exc:
            click.echo(str(exc), err=True)
            ctx.exit(1)
    click.echo(f"ranker model v{out['version']}: trained on {out['n_train']} decisions, ranked {out['ranked']} new hits")
    for line in _metrics_lines(out["metrics"]):
        click.echo(line)
    click.echo("weights (log-odds per standard deviation):")
    for line in _weights_lines(out["weights"], s.lang):
        click.echo(line)


@ranker.command("show")
@common_options
@click.pass_context
def show_cmd(ctx) -> None:
    """Tampilkan bobot model terakhir / print the latest model's weights."""
    s = settings(ctx)
    with open_store(s.config, s.db_path) as store:
        loaded = load_model(store)
    if loaded is None:
        click.echo("no ranker model yet: the list is in score order (run `monitor ranker train`)")
        return
    version, model = loaded
    click.echo(f"ranker model v{version}, intercept {model.intercept:+.3f}")
    for line in _metrics_lines(model.metrics):
        click.echo(line)
    click.echo("weights (log-odds per standard deviation):")
    for line in _weights_lines(model.weights(), s.lang):
        click.echo(line)
