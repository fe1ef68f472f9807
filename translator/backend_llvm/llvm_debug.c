/* llvm_debug.c - DWARF for the LLVM backend: Kiln C files and lines.
 *
 *   compile unit (C11, producer "kiln")
 *     DIFile per DiagContext file, made when first needed
 *     DISubprogram per LowFunc: name kiln_name, linkage name its symbol,
 *       its parameters th, r0.. and its registers rN as variables
 *     a DILocation on every instruction: LowInst.pos / LowTerm.pos, or the
 *       last position seen when one has no line (a function without any
 *       position gets line 0, "no source line" in DWARF)
 *
 * Positions in another file than the function's (code from an imported
 * module inlined by the lowering) are scoped in a lexical block file of
 * the subprogram, as DWARF wants.  Everything here is a no-op without
 * BackendLlvmOptions.debug_info.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "llvm_internal.h"

/* DWARF base type encodings (DWARF 4 and 5, table 7.11). */
enum { LLVM_DW_ATE_FLOAT = 0x04, LLVM_DW_ATE_SIGNED = 0x05 };
/* DWARF 4, not 5.  For version 5, LLVM gives every object a .debug_names
 * index of its units unless the compile unit says nameTableKind: None,
 * which clang says and the C API cannot; gdb (13) then takes the linked
 * VM's .debug_names, which covers this object's unit alone, for the index
 * of the whole executable and never reads the units of kiln_data.c, rtlib
 * and stm_gc (their frames lose file and line, their lines take no
 * breakpoint).  Version 4 makes no index for gdb's tuning, and the gcc
 * objects' DWARF 5 units link beside it. */
enum { LLVM_DWARF_VERSION = 4 };

static bool llvm_debug_on(const LlvmEmitter *emitter) {
    return emitter->debug.builder != NULL;
}

static bool llvm_pos_has_file(const LlvmEmitter *emitter, SrcPos pos) {
    return pos.line > 0 && pos.file >= 0 && pos.file < emitter->diag->files.count;
}

/* The DIFile of a DiagContext file: its path as given, relative to the
 * directory kiln runs in (DW_AT_comp_dir). */
static LLVMMetadataRef llvm_debug_file(LlvmEmitter *emitter, int file) {
    LlvmDebug *debug = &emitter->debug;
    if (debug->files[file]) return debug->files[file];
    const char *path = diag_file(emitter->diag, file)->path;
    char directory[PATH_MAX];
    if (!getcwd(directory, sizeof directory)) directory[0] = '\0';
    debug->files[file] =
        LLVMDIBuilderCreateFile(debug->builder, path, strlen(path), directory, strlen(directory));
    return debug->files[file];
}

/* The file the compile unit is named after: the first function's. */
static LLVMMetadataRef llvm_debug_unit_file(LlvmEmitter *emitter) {
    const LowProgram *program = emitter->program;
    for (int f = 0; f < program->funcs.count; f++)
        if (llvm_pos_has_file(emitter, program->funcs.items[f].pos))
            return llvm_debug_file(emitter, program->funcs.items[f].pos.file);
    if (emitter->diag->files.count > 0) return llvm_debug_file(emitter, 0);
    return LLVMDIBuilderCreateFile(emitter->debug.builder, "kiln", 4, "", 0);
}

static void llvm_debug_flag(LlvmEmitter *emitter, const char *name, unsigned value) {
    LLVMMetadataRef metadata = LLVMValueAsMetadata(LLVMConstInt(emitter->types.i32, value, false));
    LLVMAddModuleFlag(emitter->module, LLVMModuleFlagBehaviorWarning, name, strlen(name), metadata);
}

void llvm_debug_begin_module(LlvmEmitter *emitter) {
    if (!emitter->options->debug_info) return;
    LlvmDebug *debug = &emitter->debug;
    int file_count = emitter->diag->files.count;
    debug->builder = LLVMCreateDIBuilder(emitter->module);
    debug->files = ARENA_NEW_ARRAY(&emitter->arena, LLVMMetadataRef, file_count + 1);
    debug->scopes = ARENA_NEW_ARRAY(&emitter->arena, LLVMMetadataRef, file_count + 1);
    debug->unit_file = llvm_debug_unit_file(emitter);
    bool optimized = emitter->options->opt_level > 0;
    debug->unit = LLVMDIBuilderCreateCompileUnit(
        debug->builder, LLVMDWARFSourceLanguageC11, debug->unit_file, "kiln", 4, optimized, "", 0,
        0, "", 0, LLVMDWARFEmissionFull, 0, false, false, "", 0, "", 0);
    uint64_t word_bits = sizeof(int64_t) * CHAR_BIT;
    debug->types[LOW_I64] = LLVMDIBuilderCreateBasicType(debug->builder, "int64_t", 7, word_bits,
                                                         LLVM_DW_ATE_SIGNED, LLVMDIFlagZero);
    debug->types[LOW_F64] = LLVMDIBuilderCreateBasicType(debug->builder, "double", 6, word_bits,
                                                         LLVM_DW_ATE_FLOAT, LLVMDIFlagZero);
    debug->types[LOW_PTR] =
        LLVMDIBuilderCreatePointerType(debug->builder, NULL, word_bits, 0, 0, "void *", 6);
    llvm_debug_flag(emitter, "Dwarf Version", LLVM_DWARF_VERSION);
    llvm_debug_flag(emitter, "Debug Info Version", LLVMDebugMetadataVersion());
}

static LLVMMetadataRef llvm_debug_subroutine_type(LlvmEmitter *emitter, const LowFunc *func) {
    LlvmDebug *debug = &emitter->debug;
    /* the result (NULL: void), the GcThread, the parameters */
    LLVMMetadataRef *types =
        ARENA_NEW_ARRAY(&emitter->arena, LLVMMetadataRef, func->param_count + 2);
    types[0] = debug->types[func->result];
    types[1] = debug->types[LOW_PTR];
    for (int i = 0; i < func->param_count; i++)
        types[i + 2] = debug->types[func->regs.items[i]];
    return LLVMDIBuilderCreateSubroutineType(debug->builder, debug->unit_file, types,
                                             (unsigned)func->param_count + 2, LLVMDIFlagZero);
}

void llvm_debug_begin_func(LlvmEmitter *emitter, const LowFunc *func) {
    if (!llvm_debug_on(emitter)) return;
    LlvmDebug *debug = &emitter->debug;
    memset(debug->scopes, 0, sizeof(LLVMMetadataRef) * (size_t)emitter->diag->files.count);
    bool placed = llvm_pos_has_file(emitter, func->pos);
    debug->func_file = placed ? func->pos.file : -1;
    LLVMMetadataRef file = placed ? llvm_debug_file(emitter, func->pos.file) : debug->unit_file;
    unsigned line = placed ? (unsigned)func->pos.line : 0;
    debug->subprogram = LLVMDIBuilderCreateFunction(
        debug->builder, file, func->kiln_name, strlen(func->kiln_name), func->name,
        strlen(func->name), file, line, llvm_debug_subroutine_type(emitter, func), func->is_static,
        true, line, LLVMDIFlagPrototyped, emitter->options->opt_level > 0);
    LLVMSetSubprogram(emitter->function, debug->subprogram);
    if (placed) debug->scopes[func->pos.file] = debug->subprogram;
    debug->last = placed ? func->pos : (SrcPos){0};
    LLVMMetadataRef location = LLVMDIBuilderCreateDebugLocation(
        emitter->context, line, placed ? (unsigned)func->pos.col : 0, debug->subprogram, NULL);
    LLVMSetCurrentDebugLocation2(emitter->builder, location);
}

/* The scope of a position: the subprogram in the function's own file, a
 * lexical block file of it in another. */
static LLVMMetadataRef llvm_debug_scope(LlvmEmitter *emitter, SrcPos pos) {
    LlvmDebug *debug = &emitter->debug;
    if (!llvm_pos_has_file(emitter, pos)) return debug->subprogram;
    if (!debug->scopes[pos.file])
        debug->scopes[pos.file] = LLVMDIBuilderCreateLexicalBlockFile(
            debug->builder, debug->subprogram, llvm_debug_file(emitter, pos.file), 0);
    return debug->scopes[pos.file];
}

void llvm_debug_set_pos(LlvmEmitter *emitter, SrcPos pos) {
    if (!llvm_debug_on(emitter)) return;
    LlvmDebug *debug = &emitter->debug;
    if (llvm_pos_has_file(emitter, pos))
        debug->last = pos;
    else
        pos = debug->last;
    unsigned line = pos.line > 0 ? (unsigned)pos.line : 0;
    unsigned column = pos.line > 0 && pos.col > 0 ? (unsigned)pos.col : 0;
    LLVMMetadataRef location = LLVMDIBuilderCreateDebugLocation(
        emitter->context, line, column, llvm_debug_scope(emitter, pos), NULL);
    LLVMSetCurrentDebugLocation2(emitter->builder, location);
}

/* Register `reg` (-1: the GcThread parameter th) as a variable: parameters
 * are arguments 2.. (th is 1), the others locals; each lives in its alloca
 * (th in its argument). */
void llvm_debug_declare_reg(LlvmEmitter *emitter, int reg, LLVMValueRef before) {
    if (!llvm_debug_on(emitter)) return;
    LlvmDebug *debug = &emitter->debug;
    const LowFunc *func = emitter->func;
    LLVMMetadataRef file =
        debug->func_file >= 0 ? llvm_debug_file(emitter, debug->func_file) : debug->unit_file;
    unsigned line = debug->func_file >= 0 ? (unsigned)func->pos.line : 0;
    char name[32];
    if (reg < 0)
        snprintf(name, sizeof name, "th");
    else
        snprintf(name, sizeof name, "r%d", reg);
    LLVMMetadataRef type = debug->types[reg < 0 ? LOW_PTR : func->regs.items[reg]];
    LLVMMetadataRef variable =
        reg < func->param_count
            ? LLVMDIBuilderCreateParameterVariable(debug->builder, debug->subprogram, name,
                                                   strlen(name), (unsigned)(reg + 2), file, line,
                                                   type, true, LLVMDIFlagZero)
            : LLVMDIBuilderCreateAutoVariable(debug->builder, debug->subprogram, name, strlen(name),
                                              file, line, type, false, LLVMDIFlagZero, 0);
    LLVMMetadataRef expression = LLVMDIBuilderCreateExpression(debug->builder, NULL, 0);
    LLVMMetadataRef location =
        LLVMDIBuilderCreateDebugLocation(emitter->context, line, 0, debug->subprogram, NULL);
    if (reg < 0)
        LLVMDIBuilderInsertDbgValueRecordBefore(debug->builder, LLVMGetParam(emitter->function, 0),
                                                variable, expression, location, before);
    else
        LLVMDIBuilderInsertDeclareRecordBefore(debug->builder, emitter->regs[reg], variable,
                                               expression, location, before);
}

void llvm_debug_end_func(LlvmEmitter *emitter) {
    if (!llvm_debug_on(emitter)) return;
    LLVMDIBuilderFinalizeSubprogram(emitter->debug.builder, emitter->debug.subprogram);
    LLVMSetCurrentDebugLocation2(emitter->builder, NULL);
}

void llvm_debug_end_module(LlvmEmitter *emitter) {
    if (!llvm_debug_on(emitter)) return;
    LLVMDIBuilderFinalize(emitter->debug.builder);
}
