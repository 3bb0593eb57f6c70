"""An ASE calculator for a model that a dcsweep sweep kept.

    from dcsweep_ase import DcsweepCalculator
    atoms.calc = DcsweepCalculator("results/quickstart.h5", run=3)
    atoms.get_potential_energy(), atoms.get_forces()

The model is run `run` of the results file (its selected weights: see train.select), evaluated by
libdcsweep.so (include/dcsweep/predict/dcsweep_api.h) through ctypes, on one molecule without
periodic images, in the dataset's units (eV and Angstrom for the shipped data). The library is
found through the `library` argument, the DCSWEEP_LIB environment variable, the build folder of
the checkout this file is in (build/src/predict/libdcsweep.so), or the system's library path.

A structure with an element the model was not trained on raises ValueError naming it; one with a
pair of atoms closer than any pair in the training data is computed with an ExtrapolationWarning.
"""
import ctypes
import os
import warnings

import numpy as np
from ase.calculators.calculator import Calculator, all_changes

__all__ = ["DcsweepCalculator", "ExtrapolationWarning", "load_library"]

_ERROR_SIZE = 1024


def load_library(library=None):
    """libdcsweep.so with its C API's argument types set."""
    here = os.path.dirname(os.path.abspath(__file__))
    candidates = [library, os.environ.get("DCSWEEP_LIB"),
                  os.path.join(here, "..", "build", "src", "predict", "libdcsweep.so"), "libdcsweep.so"]
    errors = []
    for path in candidates:
        if not path:
            continue
        try:
            lib = ctypes.CDLL(path)
            break
        except OSError as e:
            errors.append(f"{path}: {e}")
    else:
        raise OSError("libdcsweep.so not found (build dcsweep, or set DCSWEEP_LIB): " + "; ".join(errors))
    lib.dcsweep_model_load.restype = ctypes.c_void_p
    lib.dcsweep_model_load.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_size_t]
    lib.dcsweep_model_compute.restype = ctypes.c_int
    lib.dcsweep_model_compute.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p,
                                          ctypes.POINTER(ctypes.c_double), ctypes.c_void_p, ctypes.c_char_p,
                                          ctypes.c_size_t]
    lib.dcsweep_model_cutoff.restype = ctypes.c_double
    lib.dcsweep_model_cutoff.argtypes = [ctypes.c_void_p]
    lib.dcsweep_model_elements.restype = ctypes.POINTER(ctypes.c_int)
    lib.dcsweep_model_elements.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int)]
    lib.dcsweep_model_train_min_distance.restype = ctypes.c_double
    lib.dcsweep_model_train_min_distance.argtypes = [ctypes.c_void_p]
    lib.dcsweep_model_check_distances.restype = ctypes.c_int
    lib.dcsweep_model_check_distances.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p,
                                                  ctypes.c_char_p, ctypes.c_size_t]
    lib.dcsweep_model_free.restype = None
    lib.dcsweep_model_free.argtypes = [ctypes.c_void_p]
    return lib


class ExtrapolationWarning(UserWarning):
    """A structure outside what the model saw in training (a pair closer than any training pair)."""


class DcsweepCalculator(Calculator):
    """Energy and forces of run `run` of the dcsweep results file `results`."""

    implemented_properties = ["energy", "forces"]

    def __init__(self, results, run, library=None, **kwargs):
        super().__init__(**kwargs)
        self._lib = load_library(library)
        error = ctypes.create_string_buffer(_ERROR_SIZE)
        self._model = self._lib.dcsweep_model_load(os.fsencode(results), int(run), error, _ERROR_SIZE)
        if not self._model:
            raise ValueError(error.value.decode(errors="replace"))
        self.results_file, self.run = results, int(run)

    @property
    def cutoff(self):
        return self._lib.dcsweep_model_cutoff(self._model)

    @property
    def train_min_distance(self):
        """The shortest pair distance in the model's training data (None: not recorded)."""
        d = self._lib.dcsweep_model_train_min_distance(self._model)
        return d if d > 0 else None

    @property
    def elements(self):
        n = ctypes.c_int(0)
        p = self._lib.dcsweep_model_elements(self._model, ctypes.byref(n))
        return [p[k] for k in range(n.value)]

    def calculate(self, atoms=None, properties=("energy",), system_changes=all_changes):
        super().calculate(atoms, properties, system_changes)
        if self.atoms.pbc.any():
            raise NotImplementedError("dcsweep models have no periodic images (set atoms.pbc = False)")
        z = np.ascontiguousarray(self.atoms.numbers, dtype=np.intc)
        pos = np.ascontiguousarray(self.atoms.positions, dtype=np.float64)
        forces = np.empty((len(z), 3), dtype=np.float64)
        energy = ctypes.c_double(0.0)
        error = ctypes.create_string_buffer(_ERROR_SIZE)
        rc = self._lib.dcsweep_model_compute(self._model, len(z), z.ctypes.data, pos.ctypes.data,
                                             ctypes.byref(energy), forces.ctypes.data, error, _ERROR_SIZE)
        if rc != 0:
            raise ValueError(error.value.decode(errors="replace"))
        # Once per structure ASE asks about: a pair closer than any in training.
        if self._lib.dcsweep_model_check_distances(self._model, len(z), pos.ctypes.data, error, _ERROR_SIZE):
            warnings.warn(error.value.decode(errors="replace"), ExtrapolationWarning, stacklevel=2)
        self.results = {"energy": energy.value, "forces": forces}

    def __del__(self):
        model, lib = getattr(self, "_model", None), getattr(self, "_lib", None)
        if model and lib:
            lib.dcsweep_model_free(model)
            self._model = None
