/* rtype_dump.c - `kiln rtype --dump`: the low-level view of each function
 * (variables with their machine representation, each operation with its
 * low-level opcode), then the program's GC types and vtables. */
#include "rtype.h"

static const char *const rtype_repr_names[] = {"void", "int64", "double", "ref"};

static void rtype_dump_func(FILE *out, const RtypeProgram *program, int func) {
    const RtypeFunc *info = &program->funcs[func];
    const FlowGraph *graph = info->graph;
    fprintf(out, "func %s (%s) -> %s\n", info->c_name, graph->name, rtype_repr_names[info->result]);
    for (int block = 0; block < graph->block_count; block++) {
        if (!ann_block_reached(program->annotator, func, block)) continue;
        const FlowBlock *flow_block = &graph->blocks[block];
        fprintf(out, "  block %d(", block);
        for (int i = 0; i < flow_block->input_count; i++)
            fprintf(out, "%sv%d: %s", i ? ", " : "", flow_block->inputs[i],
                    rtype_repr_names[info->reprs[flow_block->inputs[i]]]);
        fprintf(out, ")\n");
        for (int i = 0; i < flow_block->op_count; i++) {
            const FlowOp *op = &flow_block->ops[i];
            const RtypeOp *low = &info->ops[block][i];
            fprintf(out, "    ");
            if (op->result >= 0)
                fprintf(out, "v%d: %s = ", op->result, rtype_repr_names[info->reprs[op->result]]);
            fprintf(out, "%s/%s(", rtype_op_info[low->opcode].name, flow_op_info[op->opcode].name);
            for (int arg = 0; arg < op->arg_count; arg++) {
                if (arg) fputs(", ", out);
                flow_dump_value(out, graph, op->args[arg]);
            }
            fputs(")", out);
            if (low->callee >= 0) fprintf(out, " callee=%s", program->funcs[low->callee].c_name);
            if (low->type_id) fprintf(out, " type=%d", low->type_id);
            if (low->raises) fputs(" raises", out);
            if (low->nullable) fputs(" null-check", out);
            fputs("\n", out);
        }
    }
}

void rtype_dump(FILE *out, const RtypeProgram *program) {
    for (int func = 0; func < program->func_count; func++)
        rtype_dump_func(out, program, func);
    fprintf(out, "types (from %d)\n", program->first_type_id);
    for (int i = 0; i < program->flow->class_count; i++) {
        const RtypeClass *info = &program->classes[i];
        fprintf(out, "  %d..%d class %s: %d bytes\n", info->type_id, info->last_type_id,
                program->flow->classes[i].name, info->size);
    }
    for (int i = 0; i < program->tuples.count; i++)
        fprintf(out, "  %d tuple of %d items, references 0x%llx\n",
                program->tuples.items[i].type_id, program->tuples.items[i].count,
                (unsigned long long)program->tuples.items[i].ref_mask);
    for (int i = 0; i < program->vtables.count; i++)
        fprintf(out, "  vtable %d: %s over types %d..%d\n", i, program->vtables.items[i].name,
                program->vtables.items[i].first_type, program->vtables.items[i].last_type);
}
