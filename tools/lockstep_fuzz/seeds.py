"""The seed corpus: bundled fixtures, a few of each kind the reader must handle."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# Each kind of fixture and the bundled files that stand for it. Every kind exercises a
# different part of the reader and of the replay: the fused and for-loop paths, closure
# mode (an objective, or LBFGS/CG's recorded closure calls), a scheduler with /steps/lr,
# sparse gradients (grad_mask), gzip-compressed datasets (optim_db), and the largest
# files (BERT's twelve parameters in two groups, LBFGS's many state series).
SEED_KINDS: dict[str, tuple[str, ...]] = {
    "fused": (
        "adagrad_fused_f32.h5",
        "adamw.h5",
        "adagrad_added_group_fused_f32.h5",
    ),
    "for-loop": (
        "adam_added_group_forloop_f64.h5",
        "adadelta_forloop_f32.h5",
        "muon_grad_gaps_forloop_f64.h5",
    ),
    "closure": (
        "lbfgs_strong_wolfe_rosenbrock_f64.h5",
        "conjugate_gradient_fletcher_reeves_logistic_f64.h5",
        "recorded_closure_conjugategradient_strong_wolfe_mlp_f32.h5",
    ),
    "schedule": (
        "adamw_steplr_fused_f32.h5",
        "adam_onecyclelr_no_momentum_fused_f32.h5",
        "sgd_momentum_reducelronplateau_min_rel_fused_f32.h5",
    ),
    "sparse": (
        "sparse_adam_forloop_f32.h5",
        "sparse_adam_param_groups_forloop_f32.h5",
    ),
    "compressed": (
        "optim_db/optimdb_adam_default_fused_f32.h5",
        "optim_db/optimdb_lbfgs_non_default_lr_forloop_f64.h5",
        "optim_db/optimdb_sgd_default_foreach_f64.h5",
        "optim_db/optimdb_sparseadam_default_forloop_f32.h5",
    ),
    "large groups": (
        "adamw_bert_finetune_wine_fused_f32.h5",
        "recorded_closure_lbfgs_fixed_step_mlp_f64.h5",
    ),
    # Bundled fixtures rewritten as another writer leaves them, with HDF5's default storage:
    # a group of more than eight members (LBFGS's state, BERT's /params) and a root of more
    # than eight attributes keep them in fractal heaps without checksum, where damage can
    # crash libhdf5 itself (verify reads in a child process for that). Made by `generated`.
    "default storage": (
        "default-storage/lbfgs_strong_wolfe_rosenbrock_f64.h5",
        "default-storage/adamw_bert_finetune_wine_fused_f32.h5",
    ),
}

GENERATED = "default-storage/"


@dataclass(frozen=True)
class Seed:
    kind: str
    path: Path

    @property
    def name(self) -> str:
        return self.path.name


def seeds(fixtures: Path) -> list[Seed]:
    """Every seed, in a fixed order; a listed file that is missing is an error, so the
    corpus cannot shrink silently."""
    found = []
    for kind, names in SEED_KINDS.items():
        for name in names:
            path = generated(fixtures, name) if name.startswith(GENERATED) else fixtures / name
            if not path.is_file():
                raise SystemExit(f"fuzz: seed {path} (kind {kind}) is missing")
            found.append(Seed(kind, path))
    return found


def generated(fixtures: Path, name: str) -> Path:
    """`out/fuzz/seeds/<name>`: the bundled fixture of the same file name rewritten with
    HDF5's default group and attribute storage (written once, then reused)."""
    source = fixtures / name.removeprefix(GENERATED)
    target = fixtures.parent / "out" / "fuzz" / "seeds" / name
    if target.is_file() and target.stat().st_mtime >= source.stat().st_mtime:
        return target
    import h5py

    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")

    def copy_attributes(source_object, target_object) -> None:
        for key in source_object.attrs:
            attribute = source_object.attrs.get_id(key)
            target_object.attrs.create(key, source_object.attrs[key], dtype=attribute.dtype)

    def copy_group(source_group, target_group) -> None:
        copy_attributes(source_group, target_group)
        for key, member in source_group.items():
            if isinstance(member, h5py.Group):
                copy_group(member, target_group.create_group(key))  # HDF5's default link storage
            else:
                source_group.copy(member, target_group, name=key)

    with h5py.File(source, "r") as src, h5py.File(partial, "w", libver=("earliest", "v110")) as dst:
        copy_group(src, dst)
    partial.replace(target)
    return target
