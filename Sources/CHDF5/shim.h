// Shim over libhdf5: its "constants" are macros over global ids initialised at library load.
#ifndef STEERLENS_CHDF5_SHIM_H
#define STEERLENS_CHDF5_SHIM_H
#include <hdf5.h>

static inline unsigned steerlens_h5f_acc_rdonly(void) { return H5F_ACC_RDONLY; }
static inline hid_t steerlens_h5p_default(void) { return H5P_DEFAULT; }
static inline hid_t steerlens_h5s_all(void) { return H5S_ALL; }
static inline hid_t steerlens_h5t_native_float(void) { return H5T_NATIVE_FLOAT; }
static inline hid_t steerlens_h5t_native_double(void) { return H5T_NATIVE_DOUBLE; }
static inline hid_t steerlens_h5t_native_int64(void) { return H5T_NATIVE_INT64; }
static inline hid_t steerlens_h5t_c_s1(void) { return H5T_C_S1; }
static inline size_t steerlens_h5t_variable(void) { return H5T_VARIABLE; }
static inline unsigned steerlens_h5f_acc_trunc(void) { return H5F_ACC_TRUNC; }
static inline hid_t steerlens_h5e_default(void) { return H5E_DEFAULT; }
/// Turns off libhdf5's automatic error printing to stderr (we report errors ourselves).
static inline void steerlens_h5_silence_errors(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
#endif
