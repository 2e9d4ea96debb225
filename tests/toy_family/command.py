"""``zoo toy``: the command the toy family contributes."""


def add_parser(commands):
    p = commands.add_parser("toy", help="say hello from the toy family")
    p.add_argument("--name", default="zoo")
    p.set_defaults(run=run)


def run(args):
    print(f"hello {args.name} from the toy family")
