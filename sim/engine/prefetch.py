"""A cache prefetch hint for numba kernels: start loading a tie's state early.

A pass that reads every subscriber's ties (the month-0 census, the churn-risk score)
reads the state of about ten ties for each. Most sit next to it in memory (a
small world's ring), but a rewired tie is a cache miss, and the out-of-order core cannot
run far enough ahead to overlap one subscriber's miss with the next one's: the miss
costs its full memory latency (docs/performance.md). Asking for the ties of a
subscriber a few slots ahead, with LLVM's ``prefetch`` intrinsic (a hint that never
faults and changes no result), lets those loads overlap the current subscriber's work.
numba exposes no prefetch, so this adds one.
"""

import numba
from llvmlite import ir
from numba.core import cgutils, types
from numba.extending import intrinsic

# How many slots ahead to prefetch: far enough to hide a memory access behind the
# work on the slots in between, near enough that the lines are still cached when used.
PREFETCH_AHEAD = 6


@intrinsic
def prefetch(typingctx, array, index):
    """Hint the CPU to fetch ``array[index]`` into cache (no bounds check needed).

    For an array of more than one dimension, the start of row ``index``.
    """
    if not isinstance(array, types.Array):
        return None

    def codegen(context, builder, signature, args):
        array_type, index_type = signature.args
        view = context.make_array(array_type)(context, builder, args[0])
        index = context.cast(builder, args[1], index_type, types.intp)
        zero = context.get_constant(types.intp, 0)
        pointer = cgutils.get_item_pointer(
            context,
            builder,
            array_type,
            view,
            [index] + [zero] * (array_type.ndim - 1),
            wraparound=False,
        )
        byte_pointer = ir.IntType(8).as_pointer()
        i32 = ir.IntType(32)
        hint = ir.FunctionType(ir.VoidType(), [byte_pointer, i32, i32, i32])
        llvm_prefetch = cgutils.get_or_insert_function(builder.module, hint, "llvm.prefetch.p0")
        # read (0), keep in all cache levels (3), data cache (1)
        builder.call(
            llvm_prefetch, [builder.bitcast(pointer, byte_pointer), i32(0), i32(3), i32(1)]
        )
        return context.get_dummy_value()

    return types.void(array, index), codegen


@numba.njit(cache=True, inline="always")
def prefetch_ties(i, end, ties, now):
    """Prefetch what :func:`~sim.engine.tiecounts.tally_ties` will read for slot ``i``."""
    if i < end:
        for e in range(ties.indptr[i], ties.indptr[i + 1]):
            k = ties.indices[e]
            prefetch(now.operator, k)
            prefetch(now.handset_gen, k)
            prefetch(now.switched, k)
