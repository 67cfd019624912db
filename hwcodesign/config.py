"""The config of a run: data, model, quantization, training, hardware target, flow.

Everything is a frozen pydantic model with ``extra="forbid"``, so a typo in a YAML key
is an error that names the key. Paths are resolved against the config file's folder.
The ``model:`` section is the config class of its ``kind``'s model family
(``hwcodesign.families.FAMILIES``, looked up when the config is read, so families registered
by plugins work too); the flow follows from the family unless given.
"""

from __future__ import annotations

import contextlib
import math
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    BaseModel,
    Discriminator,
    Field,
    SerializeAsAny,
    SerializerFunctionWrapHandler,
    Tag,
    ValidationError,
    field_validator,
    model_serializer,
    model_validator,
)

from .config_base import Section, omit_defaults
from .errors import ConfigError
from .families import FAMILIES

__all__ = [
    "JetDataConfig",
    "PythiaConfig",
    "ImageDataConfig",
    "FileDataConfig",
    "HGQQuantConfig",
    "BrevitasQuantConfig",
    "MixedPrecisionConfig",
    "DistillConfig",
    "FinnConfig",
    "TrainConfig",
    "TargetConfig",
    "RtlConfig",
    "SynthConfig",
    "RunConfig",
    "load_config",
    "config_from_dict",
    "model_section",
]

_Section = Section

JET_FEATURES = ("ptrel", "erel", "deta", "dphi", "dr", "logpt", "loge", "logptrel", "logerel")
JetFeature = Literal["ptrel", "erel", "deta", "dphi", "dr", "logpt", "loge", "logptrel", "logerel"]


class PythiaConfig(_Section):
    """Pythia8 + FastJet generation settings (source: pythia). They key the jet cache."""

    ecm_gev: float = Field(13000.0, gt=0, description="Centre-of-mass energy of the pp collisions.")
    pthat_min_gev: float = Field(900.0, ge=0, description="Lower edge of the hard-process pT-hat window.")
    pthat_max_gev: float = Field(1100.0, gt=0, description="Upper edge of the pT-hat window.")
    jet_r: float = Field(0.8, gt=0, le=2, description="Anti-kT jet radius.")
    jet_pt_min_gev: float = Field(700.0, ge=0, description="Jets kept above this pT.")
    jet_pt_max_gev: float = Field(1400.0, gt=0, description="Jets kept below this pT.")
    jet_abs_eta_max: float = Field(2.0, gt=0, description="Jets kept with |eta| below this.")

    @model_validator(mode="after")
    def _windows(self) -> PythiaConfig:
        if self.pthat_min_gev >= self.pthat_max_gev or self.jet_pt_min_gev >= self.jet_pt_max_gev:
            raise ValueError("pthat_min_gev < pthat_max_gev and jet_pt_min_gev < jet_pt_max_gev are needed")
        return self


class JetDataConfig(_Section):
    """Five-class jets (g, q, W, Z, t): Pythia8 particle-level jets or hls4ml's formats.

    ``hls4ml_openml`` gives the 16 jet-level features of the OpenML table (inputs of shape
    (16,)); every other source gives ``n_particles`` x ``len(features)`` per jet.
    """

    dataset: Literal["jets"] = Field("jets", description="Which dataset family this is.")
    source: Literal["sample", "pythia", "hls4ml_openml", "hls4ml_zenodo"] = Field(
        "pythia",
        description="sample: the small committed Pythia8 sample; pythia: generate (needs the "
        "physics extra) or reuse the cache; hls4ml_*: files in the public hls4ml formats.",
    )
    jets_per_class: int = Field(
        4000, ge=1, le=1_000_000, description="Jets per class to generate/use (at most 1,000,000)."
    )
    n_particles: int = Field(16, ge=1, le=150, description="Constituents per jet (N), pT-ordered.")
    features: tuple[JetFeature, ...] = Field(
        ("ptrel", "erel", "deta", "dphi", "dr", "logpt", "loge", "logptrel"),
        min_length=1,
        description=f"Per-constituent features, in order; known: {', '.join(JET_FEATURES)}.",
    )
    seed: int = Field(1, ge=0, description="Seed of the generator and of the split.")
    val_fraction: float = Field(0.1, gt=0, lt=0.5, description="Fraction used for validation.")
    test_fraction: float = Field(0.2, gt=0, lt=0.5, description="Fraction used for testing.")
    path: Path | None = Field(None, description="Input file for the hls4ml_* sources.")
    cache_dir: Path | None = Field(
        None, description="Where generated jets are cached (default: ~/.cache/hwcodesign/jets)."
    )
    workers: int = Field(0, ge=0, description="Generator processes; 0 = all cores.")
    generator: PythiaConfig = Field(default_factory=PythiaConfig, description="Pythia8 settings.")

    @model_validator(mode="after")
    def _enough_to_split(self) -> JetDataConfig:
        need = math.ceil(1 / min(self.val_fraction, self.test_fraction))
        if self.jets_per_class < need:
            raise ValueError(
                f"jets_per_class={self.jets_per_class} is too few to split: with val_fraction "
                f"{self.val_fraction} and test_fraction {self.test_fraction} each class needs at least {need}"
            )
        return self


class ImageDataConfig(_Section):
    """Image classification data: Fashion-MNIST (Debian package) or sklearn digits."""

    dataset: Literal["fashion_mnist", "digits"] = Field(description="Which image dataset.")
    train_limit: int | None = Field(None, ge=10, description="Use only this many training images.")
    test_limit: int | None = Field(None, ge=10, description="Use only this many test images.")
    seed: int = Field(1, ge=0, description="Seed of the split/shuffle.")
    val_fraction: float = Field(0.1, gt=0, lt=0.5, description="Training images kept for validation.")
    path: Path | None = Field(
        None, description="Folder with the Fashion-MNIST IDX files (default: Debian's)."
    )


class FileDataConfig(_Section):
    """Your own data: arrays in a ``.npz`` or HDF5 file.

    Inputs are ``x_key`` and labels ``y_key`` (integer classes, or float targets of a one-output
    regression; leave them out for unlabelled data: the report then has bit-exactness,
    latency and resources but no accuracy). Fixed
    splits are used when the file holds ``<x_key>_train`` and ``<x_key>_test`` (and optionally
    ``<x_key>_val``, else validation is carved out of train); otherwise the samples are split
    by the fractions (stratified when labelled). Inputs are used as they are: preprocess them
    the way your model expects, or set ``standardise``.
    """

    dataset: Literal["file"] = Field(description="Which dataset family this is.")
    path: Path = Field(description="The .npz or .h5/.hdf5 file.")
    x_key: str = Field("x", min_length=1, description="Key (npz) or dataset path (HDF5) of the inputs.")
    y_key: str | None = Field("y", description="Key of the integer labels; None or absent: unlabelled.")
    class_names: tuple[str, ...] | None = Field(None, description="Names of the classes, in label order.")
    val_fraction: float = Field(0.1, ge=0, lt=0.5, description="Fraction used for validation.")
    test_fraction: float = Field(0.2, gt=0, lt=1, description="Fraction used for testing (no fixed splits).")
    seed: int = Field(1, ge=0, description="Seed of the split.")
    limit: int | None = Field(None, ge=10, description="Use only the first this-many samples.")
    standardise: bool = Field(False, description="Scale each feature to zero mean, unit variance (train).")
    task: Literal["auto", "classification", "regression"] = Field(
        "auto",
        description="auto: integer labels (or whole-number floats) are classes, other floats regression "
        "targets; classification / regression: say so (e.g. a regression of whole numbers).",
    )
    threshold: float | None = Field(
        None,
        gt=0,
        lt=1,
        description="Binary classifiers (one output): the probability at or above which a sample is "
        "class 1 (default 0.5); for a model giving logits it is log(t / (1 - t)).",
    )


def _tag(key: str, default: str):
    """Discriminator reading ``key`` (from a dict or a model), defaulting when it is absent."""

    def pick(v: Any) -> str:
        return v.get(key, default) if isinstance(v, dict) else getattr(v, key, default)

    return Discriminator(pick)


class HGQQuantConfig(_Section):
    """HGQ2 quantization: initial bit widths and the EBOPs (resource) regularisation."""

    framework: Literal["hgq2"] = Field("hgq2", description="Quantization-aware training library.")
    weight_bits: int = Field(6, ge=1, le=16, description="Initial weight bits (trainable).")
    activation_int_bits: int = Field(3, ge=0, le=16, description="Initial activation integer bits.")
    activation_frac_bits: int = Field(4, ge=0, le=16, description="Initial activation fraction bits.")
    beta_initial: float = Field(1e-7, ge=0, description="EBOPs regularisation strength at epoch 0.")
    beta_final: float = Field(
        3e-6, ge=0, description="EBOPs strength reached at the end (log schedule); 0 disables."
    )


class MixedPrecisionConfig(_Section):
    """Weight bits per layer chosen under a bit-operations budget (HAWQ-v2 sensitivities, Dong et
    al. 2020: Hutchinson estimate of each layer's Hessian trace on the float twin, times the
    quantization perturbation ``||W - Q_b(W)||^2``), allocated exactly by an integer program."""

    weight_bits: tuple[Annotated[int, Field(ge=2, le=16)], ...] = Field(
        (2, 3, 4, 6, 8),
        min_length=1,
        description="Candidate weight bits of every layer (at least 2: a 1-bit narrow-range weight is 0).",
    )
    budget_bops: float | None = Field(
        None, gt=0, description="Budget in bit-operations (sum over layers of MACs x weight bits x act bits)."
    )
    budget_relative: float | None = Field(
        None,
        gt=0,
        description="Budget as a fraction of the BOPs of uniform quantization.weight_bits (default 1.0 "
        "when budget_bops is not given).",
    )
    samples: int = Field(512, ge=8, description="Training samples the Hessian traces are estimated on.")
    probes: int = Field(32, ge=1, description="Hutchinson probes (random +-1 vectors) per estimate.")

    @model_validator(mode="after")
    def _one_budget(self) -> MixedPrecisionConfig:
        if self.budget_bops is not None and self.budget_relative is not None:
            raise ValueError("give budget_bops or budget_relative, not both")
        return self

    @property
    def relative(self) -> float | None:
        """The relative budget (1.0 when neither budget is given)."""
        if self.budget_bops is None and self.budget_relative is None:
            return 1.0
        return self.budget_relative


class BrevitasQuantConfig(_Section):
    """Brevitas quantization-aware training: bit widths and scale type."""

    framework: Literal["brevitas"] = Field(description="Quantization-aware training library.")
    weight_bits: int = Field(4, ge=1, le=16, description="Weight bits (W in WxAy).")
    act_bits: int = Field(4, ge=1, le=16, description="Activation bits (A in WxAy).")
    input_bits: int = Field(8, ge=1, le=16, description="Bits of the input quantizer.")
    output_bits: int = Field(8, ge=1, le=16, description="Bits of the output (logit) quantizer.")
    scaling: Literal["po2", "float"] = Field(
        "po2", description="Power-of-two scales (hls4ml bit-exact, FINN) or float scales."
    )
    mixed_precision: MixedPrecisionConfig | None = Field(
        None,
        description="Weight bits per layer from a sensitivity measure under a BOPs budget (None: every "
        "layer has weight_bits).",
    )

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> Any:
        return omit_defaults(handler(self), {"mixed_precision": None})


QuantConfig = Annotated[
    Annotated[HGQQuantConfig, Tag("hgq2")] | Annotated[BrevitasQuantConfig, Tag("brevitas")],
    _tag("framework", "hgq2"),
]


class DistillConfig(_Section):
    """Knowledge distillation (Hinton et al. 2015): loss ``(1 - weight) CE(labels) + weight T^2
    KL(teacher/T || student/T)``; optionally Teacher Intervention (Huang et al. 2023) first."""

    teacher: Literal["float_twin", "float_reference", "file"] = Field(
        "float_twin",
        description="float_twin: the run's float architecture, trained here (seed teacher_seed); "
        "float_reference: the wide float reference of the jet families; file: the model at path.",
    )
    path: Path | None = Field(
        None,
        description="teacher: file: a .keras model (Keras families), or for PyTorch families a "
        "torch.export .pt2, a TorchScript file or a state dict of the float twin (e.g. another run's "
        "model/float.pt).",
    )
    teacher_seed: int = Field(
        1, ge=0, description="Seed the teacher is trained with (shared by every student seed)."
    )
    temperature: float = Field(4.0, gt=0, description="Softmax temperature T of both logit sets.")
    weight: float = Field(0.5, ge=0, le=1, description="Weight of the distillation term (1: teacher only).")
    intervention_epochs: int = Field(
        0,
        ge=0,
        description="Teacher Intervention (PyTorch ViT): for these first epochs the teacher's attention "
        "outputs replace the student's, which learns to match them; 0: off.",
    )
    intervention_weight: float = Field(
        1.0, gt=0, description="Weight of the mean squared error between the attention outputs."
    )

    @model_validator(mode="after")
    def _path_with_file(self) -> DistillConfig:
        if (self.teacher == "file") != (self.path is not None):
            raise ValueError("distill.path is needed with teacher: file, and only then")
        return self


class TrainConfig(_Section):
    """Training loop settings of both trainers (Keras/HGQ2 and PyTorch/Brevitas); the float twin
    and the quantized model use the same ones."""

    epochs: int = Field(60, ge=1, description="Maximum epochs.")
    batch_size: int = Field(256, ge=1, description="Mini-batch size.")
    learning_rate: float = Field(3e-3, gt=0, description="Adam learning rate (cosine decay).")
    patience: int = Field(12, ge=1, description="Early stopping patience in epochs (val accuracy).")
    seed: int = Field(1, ge=0, description="Seed of weight init and shuffling.")
    train_float: bool = Field(True, description="Also train the float twin for comparison.")
    float_reference: bool = Field(
        False,
        description="Also train the wide float reference transformer (hwcodesign's particle models "
        "only): the accuracy these inputs allow without hardware limits, shown in the report.",
    )
    weight_decay: float = Field(0.0, ge=0, description="AdamW weight decay (PyTorch flow).")
    pareto_checkpoints: bool = Field(
        False,
        description="HGQ2 QAT: keep the non-dominated (val accuracy, EBOPs) epochs as model/pareto/*.keras.",
    )
    distill: DistillConfig | None = Field(
        None,
        description="Knowledge distillation from a float teacher (None: labels only); the teacher's "
        "predictions are computed once and cached.",
    )
    init_from_float: bool = Field(
        False,
        description="Start quantization-aware training from the trained float twin's weights instead "
        "of a fresh initialisation (hwcodesign's Keras particle models; needs train_float).",
    )

    @model_validator(mode="after")
    def _settings_fit_together(self) -> TrainConfig:
        if self.distill is not None and self.distill.intervention_epochs >= self.epochs:
            raise ValueError(
                f"distill.intervention_epochs ({self.distill.intervention_epochs}) must be below epochs "
                f"({self.epochs}): the intervention is withdrawn for the epochs after it"
            )
        if self.init_from_float and not self.train_float:
            raise ValueError("init_from_float starts from the trained float twin: set train_float: true")
        return self

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> Any:
        return omit_defaults(handler(self), {"distill": None, "init_from_float": False})

    @property
    def teacher_settings(self) -> dict[str, Any]:
        """The settings a teacher trained with this loop depends on (not the student's seed or
        distillation, so several student seeds share one teacher)."""
        keep = ("epochs", "batch_size", "learning_rate", "patience", "weight_decay")
        return {k: getattr(self, k) for k in keep}


class RtlConfig(_Section):
    """RTL generation (da4ml) and simulation (Verilator)."""

    latency_cutoff: float = Field(
        5.0, gt=0, description="da4ml pipelining: max adder depth (ns-like units) per stage."
    )
    max_samples: int | None = Field(None, ge=1, description="Simulate only this many test samples.")
    verilator_threads: int = Field(0, ge=0, description="Build jobs for Verilator; 0 = all cores.")
    cxx_opt: Literal["-O0", "-O1", "-O2", "-Os"] = Field(
        "-O0", description="C++ optimisation of the Verilator model (build time vs sim speed)."
    )
    flatten_operators: bool = Field(
        True, description="Simulate da4ml's operator instances as plain assigns (faster build)."
    )


class SynthConfig(_Section):
    """Resource estimation with Yosys (and the vendor tools when present)."""

    yosys_timeout_s: float = Field(600, gt=0, description="Time budget for Yosys synthesis.")
    products: Literal["dsp", "lut", "both"] = Field(
        "dsp",
        description="Yosys mapping of signal x signal products (e.g. attention): DSP48 blocks, LUT "
        "logic (synth_xilinx -nodsp), or both, each with the full time budget.",
    )
    use_vendor: Literal["auto", "never", "always"] = Field(
        "auto", description="Run Vivado/Vitis when found (auto), never, or fail without (always)."
    )


class FinnConfig(_Section):
    """finn-plus dataflow build settings (Python API, no Vivado needed)."""

    target_fps: float = Field(10000, gt=0, description="Frames per second the folding aims at.")
    prefer_rtl: bool = Field(True, description="Specialise to RTL variants where finn-plus has them.")
    verify_samples: int = Field(
        100, ge=1, description="Test images run through finn-plus' Python execution per stage."
    )
    rtlsim_samples: int = Field(8, ge=1, description="Frames streamed through each RTL layer in Verilator.")
    stitch_frames: int | None = Field(
        None,
        ge=4,
        description="Test images through the whole stitched design in Verilator (default: the whole "
        "test set); fewer keep a sweep over slow foldings short.",
    )

    @model_serializer(mode="wrap")
    def _dump(self, handler: SerializerFunctionWrapHandler) -> Any:
        return omit_defaults(handler(self), {"stitch_frames": None})


class DeployConfig(_Section):
    """Deployment: the virtual board's DMA model (its parameters are printed beside its numbers)."""

    virtual_board: bool = Field(True, description="Run the package's driver on the virtual board.")
    samples: int = Field(
        1000, ge=1, description="Test samples sent through the virtual board (bit-exactness)."
    )
    batch_sizes: tuple[Annotated[int, Field(ge=1)], ...] = Field(
        (1, 64, 1024), min_length=1, description="throughput_test batches (each at least 1)."
    )
    burst_beats: int = Field(16, ge=1, le=256, description="DMA beats per memory burst (AXI DMA default 16).")
    burst_gap_cycles: int = Field(
        8, ge=0, description="Idle cycles between bursts (memory latency; assumed)."
    )
    ps_overhead_us: float = Field(25.0, ge=0, description="Processor-side cost per transfer in us (assumed).")
    stall_test_pct: int = Field(
        30, ge=0, le=90, description="Random tvalid gaps / tready stalls of the stall test."
    )


class TargetConfig(_Section):
    """The FPGA and the HLS conversion settings. With ``board`` the part (and, unless given,
    the clock) follow from the board catalogue (``hwcodesign.boards``)."""

    board: str | None = Field(
        None,
        description="A board of hwcodesign.boards (pynq-z2, zcu104, kv260, zcu102, alveo-u250, xcvu13p).",
    )

    part: str = Field(
        "xcvu13p-flga2577-2-e", description="Xilinx part number (a device of hwcodesign.targets)."
    )
    clock_ns: float = Field(5.0, gt=0, description="Clock period in ns.")
    backend: Literal["Vitis", "Vivado"] = Field("Vitis", description="hls4ml back end.")
    io_type: Literal["io_parallel"] = Field("io_parallel", description="hls4ml IO type.")
    strategy: Literal["latency", "distributed_arithmetic"] = Field(
        "latency", description="hls4ml strategy for the matrix products."
    )
    latency_budget_ns: float | None = Field(
        100.0, gt=0, description="Latency budget the report checks against (None: no check)."
    )
    rtl: RtlConfig = Field(default_factory=RtlConfig, description="RTL settings.")
    synth: SynthConfig = Field(default_factory=SynthConfig, description="Resource estimation.")
    finn: FinnConfig = Field(default_factory=FinnConfig, description="finn-plus settings.")
    deploy: DeployConfig = Field(
        default_factory=DeployConfig, description="Deployment package and virtual board."
    )

    @model_validator(mode="before")
    @classmethod
    def _part_of_the_board(cls, raw: Any) -> Any:
        if not isinstance(raw, dict) or not raw.get("board"):
            return raw
        from .boards import BOARDS

        try:
            board = BOARDS.get(raw["board"])
        except ConfigError as e:
            raise ValueError(str(e)) from None
        raw = {"part": board.part, "clock_ns": round(board.clock_ns(), 6), **raw}
        from .targets import part_info

        if part_info(raw["part"]).device != part_info(board.part).device:
            raise ValueError(f"part {raw['part']} is not the part of board {board.name} ({board.part})")
        return raw

    @model_validator(mode="after")
    def _part_is_known(self) -> TargetConfig:
        from .targets import part_info

        try:
            part_info(self.part)
        except ConfigError as e:
            raise ValueError(str(e)) from None
        return self


DataConfig = Annotated[
    Annotated[JetDataConfig, Tag("jets")]
    | Annotated[ImageDataConfig, Tag("fashion_mnist")]
    | Annotated[ImageDataConfig, Tag("digits")]
    | Annotated[FileDataConfig, Tag("file")],
    _tag("dataset", "jets"),
]
#: ``model.kind`` when a config does not say.
DEFAULT_KIND = "jet_transformer"

#: The families trained by hwcodesign's own loops (``train/keras_qat.py``, ``train/torch_qat.py``),
#: which can distil from a teacher; and the Brevitas ones that can take weight bits per layer.
DISTILL_KINDS = ("jet_transformer", "jet_linear", "mlp", "vit")
MIXED_PRECISION_KINDS = ("mlp", "vit")
INIT_FROM_FLOAT_KINDS = ("jet_transformer", "jet_linear")

_UNION_TAGS = {
    "jets",
    "fashion_mnist",
    "digits",
    "file",
    "hgq2",
    "brevitas",
}


class RunConfig(_Section):
    """One run: what to build, how, and where its folder goes."""

    name: str = Field(
        pattern=r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$",
        max_length=100,
        description="Run name: the folder under runs_dir (letters, digits, _ . -; not starting "
        "with '.', so it cannot leave runs_dir).",
    )
    flow: str = Field(
        None,
        description="Which flow to run (default: the one of model.kind's family); `hwcodesign steps` "
        "lists the registered flows.",
    )
    runs_dir: Path = Field(Path("runs"), description="Parent folder of run folders.")
    cache_dir: Path | None = Field(
        None, description="Root of the content caches (default: $XDG_CACHE_HOME/hwcodesign)."
    )
    data: DataConfig = Field(default_factory=JetDataConfig, description="Dataset.")
    model: SerializeAsAny[Section] = Field(
        default_factory=lambda: FAMILIES.get(DEFAULT_KIND).config_class()(),
        description="Model: the section of a model family, chosen by kind (default jet_transformer).",
    )
    quantization: QuantConfig = Field(default_factory=HGQQuantConfig, description="QAT.")
    train: TrainConfig = Field(default_factory=TrainConfig, description="Training.")
    target: TargetConfig = Field(default_factory=TargetConfig, description="Hardware target.")

    @field_validator("model", mode="before")
    @classmethod
    def _model_of_its_kind(cls, v: Any) -> Any:
        return v if isinstance(v, Section) else model_section(v)

    @model_validator(mode="before")
    @classmethod
    def _flow_of_the_family(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and raw.get("flow") is None:
            model = raw.get("model") or {}
            kind = model.get("kind", DEFAULT_KIND) if isinstance(model, dict) else getattr(model, "kind", "")
            with contextlib.suppress(ConfigError):  # the model field reports an unknown kind
                raw = {**raw, "flow": FAMILIES.get(kind).flow}
        return raw

    @model_validator(mode="after")
    def _quantization_of_the_family(self) -> RunConfig:
        family = FAMILIES.get(self.model.kind)
        if family.quantization is not None and self.quantization.framework != family.quantization:
            raise ValueError(f"model.kind {family.kind} needs quantization.framework {family.quantization}")
        return self

    @model_validator(mode="after")
    def _methods_of_the_family(self) -> RunConfig:
        # ConfigError, not ValueError: pydantic passes it through, so the user reads one plain line
        kind = self.model.kind
        if self.train.distill is not None and kind not in DISTILL_KINDS:
            raise ConfigError(
                f"train.distill: model.kind {kind} is not trained by hwcodesign's trainers; distillation "
                f"works for {', '.join(DISTILL_KINDS)}"
            )
        if self.train.init_from_float and kind not in INIT_FROM_FLOAT_KINDS:
            raise ConfigError(
                f"train.init_from_float: model.kind {kind} is not trained from its float twin here; it "
                f"works for {', '.join(INIT_FROM_FLOAT_KINDS)} (HGQ2)"
            )
        mp = getattr(self.quantization, "mixed_precision", None)
        if mp is not None and kind not in MIXED_PRECISION_KINDS:
            raise ConfigError(
                f"quantization.mixed_precision: model.kind {kind} is not trained here with Brevitas; "
                f"it works for {', '.join(MIXED_PRECISION_KINDS)} (HGQ2 learns per-weight bits itself)"
            )
        return self

    @property
    def run_dir(self) -> Path:
        return self.runs_dir / self.name

    def section(self, dotted: str) -> Any:
        """Return a (possibly nested) section, e.g. ``section("target.rtl")``."""
        obj: Any = self
        for part in dotted.split("."):
            obj = getattr(obj, part)
        return obj

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False)


def model_section(raw: Any) -> Section:
    """The ``model:`` section validated by the config class of its ``kind``.

    Raises:
        ValueError: not a mapping, or an unknown kind (the message lists the known ones).
        ValidationError: a bad key or value of that family's section.
    """
    if not isinstance(raw, dict):
        raise ValueError("the model section must be a mapping with a kind")
    try:
        family = FAMILIES.get(raw.get("kind", DEFAULT_KIND))
    except ConfigError as e:
        raise ValueError(str(e).replace("unknown model family", "unknown model.kind")) from None
    section = family.config_class().model_validate(raw)
    _sizes_at_least_one(section)
    return section


def _sizes_at_least_one(section: Section) -> None:
    """Every number in a tuple of integers of a model section (layer widths, kernel sizes) is a
    size: at least 1. Families' own bounds cover single numbers; this covers the lists too.

    Raises:
        ConfigError: naming the key and the element.
    """
    for name in type(section).model_fields:
        value = getattr(section, name)
        if isinstance(value, tuple) and value and all(isinstance(v, int) for v in value):
            bad = next(((i, v) for i, v in enumerate(value) if v < 1), None)
            if bad is not None:
                raise ConfigError(
                    f"model.{name}.{bad[0]}: Input should be greater than or equal to 1 (every size in "
                    f"model.{name} is at least 1, got {bad[1]})"
                )


def config_from_dict(raw: dict[str, Any], base_dir: Path | None = None) -> RunConfig:
    """Validate a config dictionary; relative paths are resolved against ``base_dir``.

    Raises:
        ConfigError: naming every bad key with its problem.
    """
    problems: list[str] = []
    if isinstance(raw, dict) and isinstance(raw.get("model"), dict):
        try:  # validated here first, so that its errors name model.<key>
            raw = {**raw, "model": model_section(raw["model"])}
        except ValidationError as e:
            problems += _problems(e, "model.")
        except ConfigError as e:
            problems.append(str(e))
        except ValueError as e:
            problems.append(f"model: {e}")
    if not problems:
        try:
            cfg = RunConfig.model_validate(raw)
        except ValidationError as e:
            problems += _problems(e)
    if problems:
        raise ConfigError("invalid run config: " + "; ".join(problems)) from None
    return _resolve_paths(cfg, base_dir) if base_dir is not None else cfg


def _problems(e: ValidationError, prefix: str = "") -> list[str]:
    out = []
    for err in e.errors():
        key = ".".join(str(p) for p in err["loc"] if p not in _UNION_TAGS) or "<top>"
        out.append(f"{prefix}{key}: {err['msg']}".replace(f"{prefix}<top>", prefix.rstrip(".") or "<top>"))
    return out


def load_config(path: str | Path, overrides: dict[str, Any] | None = None) -> RunConfig:
    """Read a YAML run config (optionally with dotted-key overrides such as ``{"train.epochs": 2}``).

    Raises:
        ConfigError: when the file is missing, is not YAML, or holds a bad key or value.
    """
    path = Path(path)
    if path.is_dir():
        raise ConfigError(f"{path} is a folder, not a config file (give a .yaml file)")
    if not path.is_file():
        raise ConfigError(f"config file not found: {path}")
    try:
        raw = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        where = getattr(e, "problem_mark", None)
        at = f" (line {where.line + 1}, column {where.column + 1})" if where else ""
        raise ConfigError(f"{path} is not valid YAML{at}: {getattr(e, 'problem', None) or e}") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ConfigError(f"cannot read config file {path}: {getattr(e, 'strerror', None) or e}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections")
    for dotted, value in (overrides or {}).items():
        _set_dotted(raw, dotted, value)
    return config_from_dict(raw, base_dir=path.resolve().parent)


def _set_dotted(raw: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = raw
    for p in parents:
        node = node.setdefault(p, {})
        if not isinstance(node, dict):
            raise ConfigError(f"cannot set '{dotted}': '{p}' is not a section")
    node[leaf] = value


def _resolve_paths(cfg: RunConfig, base: Path) -> RunConfig:
    """Every Path field of the run, data and model sections, made absolute against ``base``."""

    def absolute(section: BaseModel) -> BaseModel:
        update = {}
        for name in type(section).model_fields:
            v = getattr(section, name)
            if isinstance(v, Path) and not v.is_absolute():
                update[name] = (base / v).resolve()
        return section.model_copy(update=update) if update else section

    top = absolute(cfg)
    train = cfg.train
    if train.distill is not None:
        train = train.model_copy(update={"distill": absolute(train.distill)})
    return top.model_copy(update={"data": absolute(cfg.data), "model": absolute(cfg.model), "train": train})
