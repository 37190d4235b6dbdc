import sys

from httperr_doctor.wizard.cli import main

sys.exit(main())
