/* main.c - the `kiln` command line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"

static const char usage[] =
    "usage: kiln COMMAND [OPTIONS] FILE.kc [ARGS...]\n"
    "\n"
    "commands:\n"
    "  parse --dump FILE      print the syntax tree\n"
    "  flow --dump FILE       print the flow graphs (SSA)\n"
    "  flow --dot FILE        print the flow graphs for Graphviz\n"
    "  flow FILE              build the flow graphs and report errors only\n"
    "  flow --dot --types FILE  the flow graphs with the annotator's types\n"
    "  check FILE             type-check the program (annotate) and report errors only\n"
    "  annotate --dump FILE   print every function's signature and every variable's type\n"
    "  run FILE [ARGS...]     run the program under the graph interpreter\n"
    "  rtype --dump FILE      print the low-level graphs (representations, low-level ops)\n"
    "  build FILE -o VM       translate and compile a standalone VM\n"
    "        [-O0..-O3] [--backend=c|llvm] [--keep-c DIR] [--cc=CC] [-j N] [--gc-stress]\n"
    "        [--sanitize] [--verbose] [--stage=rtype|transform|lower|optimize|emit --dump]\n"
    "  build --emit-llvm|--emit-bc FILE -o OUT\n"
    "                         write the LLVM module (.ll text or .bc bitcode) only\n"
    "  test [--mode=interp|c|c-stress|llvm|all] [--sanitize] PATH...\n"
    "                         run every .kc file under PATH and compare its output\n"
    "                         with NAME.out / NAME.err or its // expect: lines\n"
    "\n"
    "options:\n"
    "  -I DIR                 add DIR to the import search path\n"
    "  --verify               check the flow graphs' invariants (always on in debug builds)\n"
    "  --time                 print each stage's time\n"
    "  --gc-stress            run: collect the interpreter heap at every safe point;\n"
    "                         build: the VM collects at every allocation\n"
    "  --help                 this text\n";

/* Parses options up to the first non-option (the file); returns its index or -1. */
static int parse_options(int argc, const char **argv, int first, DriverOptions *options,
                         const char **paths) {
    int index = first;
    while (index < argc && argv[index][0] == '-' && argv[index][1] != '\0') {
        const char *option = argv[index];
        if (strcmp(option, "--dump") == 0)
            options->dump = true;
        else if (strcmp(option, "--dot") == 0)
            options->dot = true;
        else if (strcmp(option, "--types") == 0)
            options->types = true;
        else if (strcmp(option, "--verify") == 0)
            options->verify = true;
        else if (strcmp(option, "--time") == 0)
            options->timings = true;
        else if (strcmp(option, "--gc-stress") == 0)
            options->gc_stress = true;
        else if (strcmp(option, "-o") == 0 && index + 1 < argc)
            options->output = argv[++index];
        else if (strncmp(option, "-O", 2) == 0 && option[2] >= '0' && option[2] <= '3' &&
                 !option[3])
            options->opt_level = option[2] - '0';
        else if (strncmp(option, "-O", 2) == 0) {
            fprintf(stderr, "kiln: error: unknown optimization level '%s' (use -O0 to -O3)\n",
                    option);
            return -1;
        } else if (strcmp(option, "--backend=c") == 0)
            options->llvm = false;
        else if (strcmp(option, "--backend=llvm") == 0)
            options->llvm = true;
        else if (strncmp(option, "--backend=", 10) == 0) {
            fprintf(stderr, "kiln: error: unknown backend '%s' (use c or llvm)\n", option + 10);
            return -1;
        } else if (strcmp(option, "--emit-llvm") == 0)
            options->emit_llvm = options->llvm = true;
        else if (strcmp(option, "--emit-bc") == 0)
            options->emit_bc = options->llvm = true;
        else if (strcmp(option, "--keep-c") == 0 && index + 1 < argc)
            options->keep_c = argv[++index];
        else if (strncmp(option, "--cc=", 5) == 0)
            options->cc = option + 5;
        else if (strcmp(option, "-j") == 0 && index + 1 < argc)
            options->jobs = atoi(argv[++index]);
        else if (strncmp(option, "-j", 2) == 0 && option[2])
            options->jobs = atoi(option + 2);
        else if (strcmp(option, "--verbose") == 0)
            options->verbose = options->timings = true;
        else if (strcmp(option, "--sanitize") == 0)
            options->sanitize = true;
        else if (strcmp(option, "--stage=rtype") == 0)
            options->stage = STAGE_RTYPE;
        else if (strcmp(option, "--stage=transform") == 0)
            options->stage = STAGE_TRANSFORM;
        else if (strcmp(option, "--stage=lower") == 0)
            options->stage = STAGE_LOWER;
        else if (strcmp(option, "--stage=optimize") == 0)
            options->stage = STAGE_OPTIMIZE;
        else if (strcmp(option, "--stage=emit") == 0)
            options->stage = STAGE_EMIT;
        else if (strncmp(option, "--stage=", 8) == 0) {
            fprintf(
                stderr,
                "kiln: error: unknown stage '%s' (use rtype, transform, lower, optimize or emit)\n",
                option + 8);
            return -1;
        } else if (strcmp(option, "-I") == 0 && index + 1 < argc)
            paths[options->search_path_count++] = argv[++index];
        else if (strncmp(option, "-I", 2) == 0 && option[2])
            paths[options->search_path_count++] = option + 2;
        else {
            fprintf(stderr, "kiln: error: unknown option '%s'\n%s", option, usage);
            return -1;
        }
        index++;
    }
    if (index >= argc) {
        fprintf(stderr, "kiln: error: no input file\n%s", usage);
        return -1;
    }
    return index;
}

int main(int argc, char **argv) {
    const char **args = (const char **)argv;
    if (argc < 2 || strcmp(args[1], "--help") == 0 || strcmp(args[1], "-h") == 0) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *command = args[1];
    if (strcmp(command, "test") == 0) return driver_test(argc - 2, args + 2, argv[0]);
    DriverStage stage;
    if (strcmp(command, "parse") == 0)
        stage = STAGE_PARSE;
    else if (strcmp(command, "flow") == 0)
        stage = STAGE_FLOW;
    else if (strcmp(command, "check") == 0 || strcmp(command, "annotate") == 0)
        stage = STAGE_ANNOTATE;
    else if (strcmp(command, "run") == 0)
        stage = STAGE_RUN;
    else if (strcmp(command, "rtype") == 0)
        stage = STAGE_RTYPE;
    else if (strcmp(command, "build") == 0)
        stage = STAGE_BUILD;
    else {
        fprintf(stderr, "kiln: error: unknown command '%s'\n%s", command, usage);
        return 2;
    }
    if (stage >= STAGE_RTYPE) {
        /* `kiln build FILE.kc -o VM`: options may follow the file; move the
         * file (the first argument that is not an option) last */
        for (int i = 2; i < argc; i++) {
            bool takes_value = strcmp(args[i - 1], "-o") == 0 || strcmp(args[i - 1], "-j") == 0 ||
                               strcmp(args[i - 1], "--keep-c") == 0 ||
                               strcmp(args[i - 1], "-I") == 0;
            if (args[i][0] == '-' || (i > 2 && takes_value)) continue;
            const char *file = args[i];
            memmove(&args[i], &args[i + 1], sizeof(char *) * (size_t)(argc - i - 1));
            args[argc - 1] = file;
            break;
        }
    }
    DriverOptions options = {0};
    options.opt_level = 2;
    options.jobs = 2;
    const char **paths = calloc((size_t)argc + 1, sizeof(char *));
    options.search_paths = paths;
    int file_index = parse_options(argc, args, 2, &options, paths);
    if (file_index < 0) {
        free(paths);
        return 2;
    }
    if (stage == STAGE_BUILD && options.stage) stage = options.stage;
    if (stage == STAGE_BUILD && !options.output) {
        fprintf(stderr, options.emit_llvm ? "kiln: error: --emit-llvm needs -o FILE.ll\n"
                        : options.emit_bc ? "kiln: error: --emit-bc needs -o FILE.bc\n"
                                          : "kiln: error: build needs -o VM\n");
        free(paths);
        return 2;
    }
    DriverSession session;
    driver_session_init(&session);
    /* The program sees its own path as args[0], then the rest. */
    int status = driver_pipeline(&session, &options, args[file_index], stage, argc - file_index,
                                 args + file_index);
    driver_session_free(&session);
    free(paths);
    return status;
}
