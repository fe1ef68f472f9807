/* llvm_module.c - the LLVM backend's entry: the module, its declarations
 * and constants, verification, the optimization pipeline and the outputs.
 *
 *   backend_llvm_emit
 *     llvm_check_low        low_verify (when verifying)
 *     llvm_make_target      host triple, data layout, PIC
 *     llvm_declare_symbols  functions, runtime and extern declarations, data
 *     llvm_define_strings   prebuilt RtStr objects and C strings
 *     llvm_emit_func        each LowFunc (llvm_func.c)
 *     llvm_verify           LLVMVerifyModule, blamed on the functions it rejects
 *     llvm_optimize         LLVMRunPasses "default<ON>" (then "asan" when sanitizing)
 *     llvm_write            .ll, .bc, object file
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/BitWriter.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "../../rtlib/rt.h"
#include "llvm_internal.h"

/* A str constant is laid out as the struct {header, hash, length, bytes}
 * of i64, i64, i64, [N x i8], which must be RtStr's layout. */
_Static_assert(offsetof(RtStr, header) == 0 && offsetof(RtStr, hash) == sizeof(uint64_t) &&
                   offsetof(RtStr, length) == 2 * sizeof(uint64_t) &&
                   offsetof(RtStr, bytes) == 3 * sizeof(uint64_t),
               "RtStr is three words, then its bytes");

/* The most lines of an LLVM or low_verify message shown as notes. */
enum { LLVM_NOTE_LINES = 24 };

bool backend_llvm_available(void) {
    return true;
}

/* ---- types and helpers -------------------------------------------------- */

LLVMTypeRef llvm_type(LlvmEmitter *emitter, LowType type) {
    const LlvmTypes *types = &emitter->types;
    switch (type) {
    case LOW_VOID: return types->void_type;
    case LOW_I64: return types->i64;
    case LOW_F64: return types->f64;
    case LOW_PTR: return types->ptr;
    case LOW_U8: return types->i8;
    case LOW_U32:
    case LOW_I32: return types->i32;
    case LOW_BOOL: return types->i1;
    default: kiln_unreachable("a LowType has an LLVM type");
    }
}

LLVMTypeRef llvm_function_type(LlvmEmitter *emitter, LowType result, const LowType *params,
                               int count, bool variadic) {
    LLVMTypeRef *types = ARENA_NEW_ARRAY(&emitter->arena, LLVMTypeRef, count + 1);
    for (int i = 0; i < count; i++)
        types[i] = llvm_type(emitter, params[i]);
    return LLVMFunctionType(llvm_type(emitter, result), types, (unsigned)count, variadic);
}

LLVMValueRef llvm_i64(LlvmEmitter *emitter, int64_t value) {
    return LLVMConstInt(emitter->types.i64, (unsigned long long)value, true);
}

LLVMValueRef llvm_i32(LlvmEmitter *emitter, int32_t value) {
    return LLVMConstInt(emitter->types.i32, (unsigned long long)(int64_t)value, true);
}

LLVMAttributeRef llvm_attribute(LlvmEmitter *emitter, const char *name, uint64_t value) {
    unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
    KILN_ASSERT(kind != 0, "the attribute name is one LLVM knows");
    return LLVMCreateEnumAttribute(emitter->context, kind, value);
}

void llvm_add_attribute(LlvmEmitter *emitter, LLVMValueRef function, LLVMAttributeIndex index,
                        const char *name, uint64_t value) {
    LLVMAddAttributeAtIndex(function, index, llvm_attribute(emitter, name, value));
}

void llvm_signature_attributes(LlvmEmitter *emitter, LLVMValueRef target, bool call_site,
                               LowType result, const LowType *params, int count) {
    /* C's bool travels as an i1 that the caller (argument) or the callee
     * (result) has zero-extended to a byte, as the C ABI requires. */
    LLVMAttributeRef zeroext = llvm_attribute(emitter, "zeroext", 0);
    for (int i = -1; i < count; i++) {
        LowType type = i < 0 ? result : params[i];
        if (type != LOW_BOOL) continue;
        LLVMAttributeIndex index = i < 0 ? LLVMAttributeReturnIndex : (LLVMAttributeIndex)(i + 1);
        if (call_site)
            LLVMAddCallSiteAttribute(target, index, zeroext);
        else
            LLVMAddAttributeAtIndex(target, index, zeroext);
    }
}

LLVMValueRef llvm_helper(LlvmEmitter *emitter, const char *name, LLVMTypeRef type) {
    LLVMValueRef function = LLVMGetNamedFunction(emitter->module, name);
    if (function) return function;
    function = LLVMAddFunction(emitter->module, name, type);
    /* C functions: nothing unwinds through them. */
    llvm_add_attribute(emitter, function, LLVMAttributeFunctionIndex, "nounwind", 0);
    return function;
}

LLVMValueRef llvm_noreturn_helper(LlvmEmitter *emitter, const char *name, LLVMTypeRef type) {
    bool declared = LLVMGetNamedFunction(emitter->module, name) != NULL;
    LLVMValueRef function = llvm_helper(emitter, name, type);
    if (!declared) {
        llvm_add_attribute(emitter, function, LLVMAttributeFunctionIndex, "noreturn", 0);
        llvm_add_attribute(emitter, function, LLVMAttributeFunctionIndex, "cold", 0);
    }
    return function;
}

/* Reports each line of `text` as a note under the error just reported. */
static void llvm_note_lines(LlvmEmitter *emitter, const char *text) {
    int shown = 0;
    while (text && *text && shown < LLVM_NOTE_LINES) {
        size_t length = strcspn(text, "\n");
        if (length) {
            diag_note(emitter->diag, "%.*s", (int)length, text);
            shown++;
        }
        text += length;
        text += strspn(text, "\n");
    }
}

/* ---- the low-level graphs ------------------------------------------------- */

/* low_verify, its report turned into a diagnostic.  The emitter indexes
 * registers, blocks, symbols and constants without further checks. */
static int llvm_check_low(LlvmEmitter *emitter) {
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    int errors = low_verify(emitter->program, out ? out : stderr);
    if (out) fclose(out);
    if (errors) {
        diag_plain_error(emitter->diag,
                         "the low-level graphs handed to the LLVM backend are malformed "
                         "(%d problems); this is a kiln bug",
                         errors);
        llvm_note_lines(emitter, text);
    }
    free(text);
    return errors ? -1 : 0;
}

/* ---- target ------------------------------------------------------------------ */

/* The host's target machine; sets the module's triple and data layout.
 * The CPU is the generic one of the triple, the baseline `cc` compiles the
 * C backend's output and the runtime for, so that a VM runs wherever its
 * runtime does.  Code is position-independent: Debian's cc links PIE. */
static int llvm_make_target(LlvmEmitter *emitter, LLVMTargetMachineRef *machine) {
    if (LLVMInitializeNativeTarget() || LLVMInitializeNativeAsmPrinter()) {
        diag_plain_error(emitter->diag, "LLVM has no code generator for this machine");
        return -1;
    }
    char *triple = LLVMGetDefaultTargetTriple();
    LLVMTargetRef target = NULL;
    char *error = NULL;
    if (LLVMGetTargetFromTriple(triple, &target, &error)) {
        diag_plain_error(emitter->diag, "LLVM has no target for '%s': %s", triple,
                         error ? error : "unknown");
        LLVMDisposeMessage(error);
        LLVMDisposeMessage(triple);
        return -1;
    }
    static const LLVMCodeGenOptLevel levels[] = {LLVMCodeGenLevelNone, LLVMCodeGenLevelLess,
                                                 LLVMCodeGenLevelDefault,
                                                 LLVMCodeGenLevelAggressive};
    *machine =
        LLVMCreateTargetMachine(target, triple, "generic", "", levels[emitter->options->opt_level],
                                LLVMRelocPIC, LLVMCodeModelDefault);
    LLVMSetTarget(emitter->module, triple);
    LLVMTargetDataRef layout = LLVMCreateTargetDataLayout(*machine);
    LLVMSetModuleDataLayout(emitter->module, layout);
    LLVMDisposeTargetData(layout);
    LLVMDisposeMessage(triple);
    /* As `cc -fPIE` marks its modules: code for an executable, where the
     * thread-local rt_thread is reached without __tls_get_addr. */
    LLVMAddModuleFlag(emitter->module, LLVMModuleFlagBehaviorWarning, "PIC Level", 9,
                      LLVMValueAsMetadata(llvm_i32(emitter, 2)));
    LLVMAddModuleFlag(emitter->module, LLVMModuleFlagBehaviorWarning, "PIE Level", 9,
                      LLVMValueAsMetadata(llvm_i32(emitter, 2)));
    return 0;
}

/* ---- declarations ------------------------------------------------------------ */

static LLVMValueRef llvm_declare_function(LlvmEmitter *emitter, const LowSymbol *symbol,
                                          const char *name, LLVMTypeRef type) {
    LLVMValueRef function = LLVMGetNamedFunction(emitter->module, name);
    if (function) return function; /* two extern fns binding one C name */
    function = llvm_helper(emitter, name, type);
    llvm_signature_attributes(emitter, function, false, symbol->result, symbol->params,
                              symbol->param_count);
    return function;
}

static LLVMValueRef llvm_define_function(LlvmEmitter *emitter, const LowSymbol *symbol,
                                         LLVMTypeRef type) {
    const LowFunc *func = &emitter->program->funcs.items[symbol->func];
    LLVMValueRef function = LLVMAddFunction(emitter->module, symbol->name, type);
    if (func->is_static) LLVMSetLinkage(function, LLVMInternalLinkage);
    llvm_add_attribute(emitter, function, LLVMAttributeFunctionIndex, "nounwind", 0);
    /* Asynchronous unwind tables, as cc makes them: debuggers and profilers
     * walk the stack through the VM's functions. */
    llvm_add_attribute(emitter, function, LLVMAttributeFunctionIndex, "uwtable", 2);
    /* The functions AddressSanitizer instruments (it skips the others);
     * set before optimizing, so that no pass speculates a load past an
     * object's end, which a sanitized access would report. */
    if (emitter->options->sanitize)
        llvm_add_attribute(emitter, function, LLVMAttributeFunctionIndex, "sanitize_address", 0);
    return function;
}

/* Data symbols are defined by the C backend's kiln_data.c.  A scalar
 * (a global's slot) is declared at its type; an aggregate as `[0 x i8]`,
 * what clang makes of `extern char name[]`: an object of unknown size whose
 * address is all the code uses. */
static LLVMValueRef llvm_declare_data(LlvmEmitter *emitter, const LowSymbol *symbol) {
    LLVMValueRef global = LLVMGetNamedGlobal(emitter->module, symbol->name);
    if (global) return global;
    bool scalar = symbol->data_type == LOW_I64 || symbol->data_type == LOW_F64 ||
                  symbol->data_type == LOW_PTR;
    LLVMTypeRef type =
        scalar ? llvm_type(emitter, symbol->data_type) : LLVMArrayType2(emitter->types.i8, 0);
    global = LLVMAddGlobal(emitter->module, type, symbol->name);
    if (scalar) LLVMSetAlignment(global, sizeof(int64_t));
    return global;
}

static void llvm_declare_symbols(LlvmEmitter *emitter) {
    const LowProgram *program = emitter->program;
    for (int i = 0; i < program->symbols.count; i++) {
        const LowSymbol *symbol = &program->symbols.items[i];
        if (symbol->kind == LOW_SYMBOL_DATA) {
            emitter->symbols[i] = llvm_declare_data(emitter, symbol);
            continue;
        }
        LLVMTypeRef type = llvm_function_type(emitter, symbol->result, symbol->params,
                                              symbol->param_count, symbol->variadic);
        emitter->symbol_types[i] = type;
        if (symbol->kind == LOW_SYMBOL_FUNC)
            emitter->symbols[i] = llvm_define_function(emitter, symbol, type);
        else if (symbol->kind == LOW_SYMBOL_EXTERN && symbol->c_name)
            emitter->symbols[i] = llvm_declare_function(emitter, symbol, symbol->c_name, type);
        else
            emitter->symbols[i] = llvm_declare_function(emitter, symbol, symbol->name, type);
    }
}

/* ---- constants ----------------------------------------------------------------- */

/* Str constants are prebuilt RtStr objects, as the C backend's kstr_N: the
 * prebuilt header, hash 0, the length, the bytes and a NUL, 8-aligned.
 * They are not constant: rt_str_hash caches the hash in them. */
static LLVMValueRef llvm_define_string(LlvmEmitter *emitter, int index) {
    const LowString *string = &emitter->program->strings.items[index];
    LLVMValueRef fields[4] = {
        LLVMConstInt(emitter->types.i64, GC_PREBUILT_HEADER(RT_TYPE_STR), false),
        LLVMConstInt(emitter->types.i64, 0, false), llvm_i64(emitter, string->length),
        LLVMConstStringInContext2(emitter->context, string->bytes, (size_t)string->length, false)};
    LLVMValueRef value = LLVMConstStructInContext(emitter->context, fields, 4, false);
    char name[32];
    snprintf(name, sizeof name, "kiln.str.%d", index);
    LLVMValueRef global = LLVMAddGlobal(emitter->module, LLVMTypeOf(value), name);
    LLVMSetInitializer(global, value);
    LLVMSetLinkage(global, LLVMPrivateLinkage);
    LLVMSetAlignment(global, _Alignof(RtStr));
    return global;
}

static LLVMValueRef llvm_define_cstring(LlvmEmitter *emitter, int index) {
    const char *text = emitter->program->cstrings.items[index];
    LLVMValueRef value = LLVMConstStringInContext2(emitter->context, text, strlen(text), false);
    char name[32];
    snprintf(name, sizeof name, "kiln.cstr.%d", index);
    LLVMValueRef global = LLVMAddGlobal(emitter->module, LLVMTypeOf(value), name);
    LLVMSetInitializer(global, value);
    LLVMSetLinkage(global, LLVMPrivateLinkage);
    LLVMSetGlobalConstant(global, true);
    LLVMSetUnnamedAddress(global, LLVMGlobalUnnamedAddr);
    return global;
}

static void llvm_define_constants(LlvmEmitter *emitter) {
    const LowProgram *program = emitter->program;
    for (int i = 0; i < program->strings.count; i++)
        emitter->strings[i] = llvm_define_string(emitter, i);
    for (int i = 0; i < program->cstrings.count; i++)
        emitter->cstrings[i] = llvm_define_cstring(emitter, i);
}

/* ---- verification, optimization, output ------------------------------------ */

/* LLVM's verifier; a failure is blamed on each function it rejects, at
 * the function's Kiln C position. */
static int llvm_verify(LlvmEmitter *emitter) {
    char *message = NULL;
    if (!LLVMVerifyModule(emitter->module, LLVMReturnStatusAction, &message)) {
        LLVMDisposeMessage(message);
        return 0;
    }
    bool blamed = false;
    const LowProgram *program = emitter->program;
    for (int f = 0; f < program->funcs.count; f++) {
        const LowFunc *func = &program->funcs.items[f];
        if (!LLVMVerifyFunction(emitter->symbols[func->symbol], LLVMReturnStatusAction)) continue;
        diag_error(emitter->diag, func->pos,
                   "LLVM rejects the code made for function '%s' (%s); this is a kiln bug",
                   func->kiln_name, func->name);
        blamed = true;
    }
    if (!blamed)
        diag_plain_error(emitter->diag,
                         "LLVM rejects the module made of the program; this is a kiln bug");
    llvm_note_lines(emitter, message);
    LLVMDisposeMessage(message);
    return -1;
}

/* The new pass manager's standard pipelines.  At -O0, "default<O0>" runs
 * no optimization: every register keeps its stack slot, where a debugger
 * finds it, and the build is fastest.  From -O1 on, the pipelines start
 * with SROA, which turns the allocas into SSA values (mem2reg).
 *
 * With sanitize, AddressSanitizer ("asan", a module pass) runs last, as
 * clang runs it (at the end of the optimizer, at -O0 too): it checks the
 * loads and stores the optimizer kept, puts redzones around the allocas
 * whose address escapes and the module's own globals (the str constants),
 * and registers those globals from a module constructor. */
static int llvm_optimize(LlvmEmitter *emitter, LLVMTargetMachineRef machine) {
    char pipeline[32];
    snprintf(pipeline, sizeof pipeline, "default<O%d>%s", emitter->options->opt_level,
             emitter->options->sanitize ? ",asan" : "");
    LLVMPassBuilderOptionsRef options = LLVMCreatePassBuilderOptions();
    LLVMErrorRef error = LLVMRunPasses(emitter->module, pipeline, machine, options);
    LLVMDisposePassBuilderOptions(options);
    if (!error) return 0;
    char *message = LLVMGetErrorMessage(error);
    diag_plain_error(emitter->diag, "LLVM could not run the pipeline %s: %s", pipeline, message);
    LLVMDisposeErrorMessage(message);
    return -1;
}

static int llvm_write(LlvmEmitter *emitter, LLVMTargetMachineRef machine) {
    const BackendLlvmOptions *options = emitter->options;
    char *error = NULL;
    if (options->ll_path && LLVMPrintModuleToFile(emitter->module, options->ll_path, &error)) {
        diag_plain_error(emitter->diag, "cannot write '%s': %s", options->ll_path, error);
        LLVMDisposeMessage(error);
        return -1;
    }
    if (options->bc_path && LLVMWriteBitcodeToFile(emitter->module, options->bc_path) != 0) {
        diag_plain_error(emitter->diag, "cannot write '%s'", options->bc_path);
        return -1;
    }
    if (options->object_path &&
        LLVMTargetMachineEmitToFile(machine, emitter->module, options->object_path, LLVMObjectFile,
                                    &error)) {
        diag_plain_error(emitter->diag, "cannot write '%s': %s", options->object_path, error);
        LLVMDisposeMessage(error);
        return -1;
    }
    return 0;
}

/* ---- the emitter ------------------------------------------------------------- */

static void llvm_emitter_init(LlvmEmitter *emitter, const LowProgram *program, DiagContext *diag,
                              const BackendLlvmOptions *options) {
    memset(emitter, 0, sizeof *emitter);
    emitter->program = program;
    emitter->diag = diag;
    emitter->options = options;
    arena_init(&emitter->arena);
    emitter->context = LLVMContextCreate();
    emitter->module = LLVMModuleCreateWithNameInContext("kiln", emitter->context);
    /* Variable locations as debug records, the form LLVM 19 works in (and
     * the one LLVMDIBuilderInsertDeclareRecordBefore needs). */
    LLVMSetIsNewDbgInfoFormat(emitter->module, true);
    emitter->builder = LLVMCreateBuilderInContext(emitter->context);
    LLVMContextRef context = emitter->context;
    emitter->types =
        (LlvmTypes){LLVMVoidTypeInContext(context),      LLVMInt1TypeInContext(context),
                    LLVMInt8TypeInContext(context),      LLVMInt32TypeInContext(context),
                    LLVMInt64TypeInContext(context),     LLVMDoubleTypeInContext(context),
                    LLVMPointerTypeInContext(context, 0)};
    emitter->prof_kind = LLVMGetMDKindIDInContext(context, "prof", 4);
    emitter->symbols = ARENA_NEW_ARRAY(&emitter->arena, LLVMValueRef, program->symbols.count + 1);
    emitter->symbol_types =
        ARENA_NEW_ARRAY(&emitter->arena, LLVMTypeRef, program->symbols.count + 1);
    emitter->strings = ARENA_NEW_ARRAY(&emitter->arena, LLVMValueRef, program->strings.count + 1);
    emitter->cstrings = ARENA_NEW_ARRAY(&emitter->arena, LLVMValueRef, program->cstrings.count + 1);
}

static void llvm_emitter_free(LlvmEmitter *emitter) {
    if (emitter->debug.builder) LLVMDisposeDIBuilder(emitter->debug.builder);
    LLVMDisposeBuilder(emitter->builder);
    LLVMDisposeModule(emitter->module);
    LLVMContextDispose(emitter->context);
    arena_free(&emitter->arena);
}

static void llvm_build_module(LlvmEmitter *emitter) {
    llvm_debug_begin_module(emitter);
    llvm_declare_symbols(emitter);
    llvm_define_constants(emitter);
    for (int f = 0; f < emitter->program->funcs.count; f++)
        llvm_emit_func(emitter, &emitter->program->funcs.items[f]);
    llvm_debug_end_module(emitter);
}

int backend_llvm_emit(const LowProgram *program, DiagContext *diag,
                      const BackendLlvmOptions *options) {
    if (options->opt_level < 0 || options->opt_level > 3) {
        diag_plain_error(diag, "the LLVM backend takes -O0 to -O3, not -O%d", options->opt_level);
        return -1;
    }
    bool verify = options->verify;
#ifdef KILN_DEBUG
    verify = true;
#endif
    LlvmEmitter emitter;
    llvm_emitter_init(&emitter, program, diag, options);
    LLVMTargetMachineRef machine = NULL;
    int status = verify ? llvm_check_low(&emitter) : 0;
    if (status == 0) status = llvm_make_target(&emitter, &machine);
    if (status == 0) {
        llvm_build_module(&emitter);
        if (verify) status = llvm_verify(&emitter);
    }
    if (status == 0) status = llvm_optimize(&emitter, machine);
    if (status == 0) status = llvm_write(&emitter, machine);
    if (machine) LLVMDisposeTargetMachine(machine);
    llvm_emitter_free(&emitter);
    return status;
}
