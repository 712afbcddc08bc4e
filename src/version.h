/* version.h -- the release number, printed by wsgate -V */
#ifndef WSGATE_VERSION_H
#define WSGATE_VERSION_H

#define WSGATE_VERSION "0.1.0"

#endif
