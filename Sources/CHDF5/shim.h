#ifndef IRREPSCOPE_CHDF5_SHIM_H
#define IRREPSCOPE_CHDF5_SHIM_H
// Debian's libhdf5-dev (serial, 1.10+). HDF5's public API spells many handles as macros
// (H5P_DEFAULT, H5T_C_S1, versioned function names), which Swift cannot import: these small
// helpers wrap what the Keras reader needs. None of them allocates more than its caller
// allowed.
#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

static inline int irrep_h5_init(void) {
    if (H5open() < 0) return -1;
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);  // errors are reported by return value, not printed
    return 0;
}

static inline hid_t irrep_h5_open(const char *path) { return H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT); }

/// Opens an in-memory copy of an HDF5 file (a zip member) through the core driver.
static inline hid_t irrep_h5_open_image(const void *buf, size_t len) {
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0) return -1;
    hid_t f = -1;
    if (H5Pset_fapl_core(fapl, 1 << 16, 0) >= 0 && H5Pset_file_image(fapl, (void *)buf, len) >= 0)
        f = H5Fopen("model.weights.h5", H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    return f;
}

/// 1 group, 2 dataset, 0 anything else, -1 when `name` cannot be opened.
static inline int irrep_h5_kind(hid_t loc, const char *name) {
    hid_t o = H5Oopen(loc, name, H5P_DEFAULT);
    if (o < 0) return -1;
    H5I_type_t t = H5Iget_type(o);
    H5Oclose(o);
    return t == H5I_GROUP ? 1 : t == H5I_DATASET ? 2 : 0;
}

/// A key of the object at `name` (its address in the file; HDF5 ≥ 1.12: the first bytes of its
/// token, which hold that address): a group reached twice by hard links has one key. 0 when
/// it cannot be read.
static inline unsigned long long irrep_h5_object_key(hid_t loc, const char *name) {
#if H5_VERSION_GE(1, 12, 0)
    H5O_info2_t info;
    if (H5Oget_info_by_name3(loc, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return 0;
    unsigned long long key = 0;
    memcpy(&key, &info.token, sizeof key);
    return key;
#else
    H5O_info_t info;
    if (H5Oget_info_by_name2(loc, name, &info, H5O_INFO_BASIC, H5P_DEFAULT) < 0) return 0;
    return (unsigned long long)info.addr;
#endif
}

static inline long long irrep_h5_nlinks(hid_t group) {
    H5G_info_t info;
    if (H5Gget_info(group, &info) < 0) return -1;
    return (long long)info.nlinks;
}

/// The name of link i (in name order) into buf; its length, or -1.
static inline long long irrep_h5_link_name(hid_t group, unsigned long long i, char *buf, size_t size) {
    return (long long)H5Lget_name_by_idx(group, ".", H5_INDEX_NAME, H5_ITER_INC, (hsize_t)i, buf, size, H5P_DEFAULT);
}

/// A string attribute (scalar or 1-D; fixed or variable length) as NUL-separated strings in a
/// malloc'd buffer (free it), *count strings; NULL when absent, not a string, or over maxBytes.
static inline char *irrep_h5_string_attr(hid_t obj, const char *name, size_t maxBytes, int *count, size_t *total) {
    *count = 0; *total = 0;
    if (H5Aexists(obj, name) <= 0) return NULL;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    if (a < 0) return NULL;
    hid_t t = H5Aget_type(a), s = H5Aget_space(a);
    char *out = NULL;
    if (t >= 0 && s >= 0 && H5Tget_class(t) == H5T_STRING) {
        int rank = H5Sget_simple_extent_ndims(s);
        hssize_t n = H5Sget_simple_extent_npoints(s);
        if (rank >= 0 && rank <= 1 && n >= 0 && n <= 1000000) {
            if (H5Tis_variable_str(t) > 0) {
                char **ptrs = (char **)calloc((size_t)(n ? n : 1), sizeof(char *));
                hid_t mt = H5Tcopy(H5T_C_S1);
                H5Tset_size(mt, H5T_VARIABLE);
                H5Tset_cset(mt, H5Tget_cset(t));
                if (ptrs && H5Aread(a, mt, ptrs) >= 0) {
                    size_t len = 0; int ok = 1;
                    for (hssize_t i = 0; i < n; i++) { len += (ptrs[i] ? strlen(ptrs[i]) : 0) + 1; if (len > maxBytes) ok = 0; }
                    if (ok && (out = (char *)malloc(len ? len : 1))) {
                        size_t p = 0;
                        for (hssize_t i = 0; i < n; i++) {
                            size_t l = ptrs[i] ? strlen(ptrs[i]) : 0;
                            if (l) memcpy(out + p, ptrs[i], l);
                            out[p + l] = 0; p += l + 1;
                        }
                        *count = (int)n; *total = len;
                    }
                    H5Dvlen_reclaim(mt, s, H5P_DEFAULT, ptrs);
                }
                H5Tclose(mt);
                free(ptrs);
            } else {
                size_t sz = H5Tget_size(t);
                if (sz > 0 && sz <= maxBytes && (size_t)n <= maxBytes / sz) {
                    size_t len = sz * (size_t)n;
                    char *raw = (char *)calloc(len + 1, 1);
                    if (raw && H5Aread(a, t, raw) >= 0 && (out = (char *)calloc(len + (size_t)n + 1, 1))) {
                        size_t p = 0;
                        for (hssize_t i = 0; i < n; i++) {
                            size_t l = strnlen(raw + (size_t)i * sz, sz);
                            memcpy(out + p, raw + (size_t)i * sz, l);
                            out[p + l] = 0; p += l + 1;
                        }
                        *count = (int)n; *total = p;
                    }
                    free(raw);
                }
            }
        }
    }
    if (s >= 0) H5Sclose(s);
    if (t >= 0) H5Tclose(t);
    H5Aclose(a);
    return out;
}

/// What a dataset declares. tclass: 0 integer, 1 float, 2 enum/bool-like, -1 other.
/// order: 0 little, 1 big. dims holds up to 32 dimensions.
typedef struct {
    int rank, tclass, order, isSigned, nfilters;
    size_t size, mantissa;
    unsigned long long dims[32];
    long long storage;
} irrep_h5_dataset_info;

static inline int irrep_h5_dataset(hid_t ds, irrep_h5_dataset_info *info) {
    memset(info, 0, sizeof(*info));
    hid_t s = H5Dget_space(ds), t = H5Dget_type(ds), p = H5Dget_create_plist(ds);
    int rc = -1;
    if (s >= 0 && t >= 0 && p >= 0) {
        int rank = H5Sget_simple_extent_ndims(s);
        if (rank >= 0 && rank <= 32) {
            hsize_t dims[32];
            H5Sget_simple_extent_dims(s, dims, NULL);
            info->rank = rank;
            for (int i = 0; i < rank; i++) info->dims[i] = (unsigned long long)dims[i];
            H5T_class_t c = H5Tget_class(t);
            hid_t base = -1;
            if (c == H5T_ENUM) { base = H5Tget_super(t); }
            hid_t num = base >= 0 ? base : t;
            info->tclass = c == H5T_INTEGER ? 0 : c == H5T_FLOAT ? 1 : c == H5T_ENUM ? 2 : -1;
            info->size = H5Tget_size(num);
            info->order = H5Tget_order(num) == H5T_ORDER_BE ? 1 : 0;
            info->isSigned = (info->tclass != 1) && H5Tget_sign(num) == H5T_SGN_2;
            if (c == H5T_FLOAT) {
                size_t spos, epos, esize, mpos, msize;
                if (H5Tget_fields(t, &spos, &epos, &esize, &mpos, &msize) >= 0) info->mantissa = msize;
            }
            if (base >= 0) H5Tclose(base);
            info->storage = (long long)H5Dget_storage_size(ds);
            info->nfilters = H5Pget_nfilters(p);
            rc = 0;
        }
    }
    if (p >= 0) H5Pclose(p);
    if (t >= 0) H5Tclose(t);
    if (s >= 0) H5Sclose(s);
    return rc;
}

/// Reads the whole dataset in its file type (no conversion) into buf.
static inline int irrep_h5_read(hid_t ds, void *buf) {
    hid_t t = H5Dget_type(ds);
    if (t < 0) return -1;
    herr_t r = H5Dread(ds, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf);
    H5Tclose(t);
    return r < 0 ? -1 : 0;
}
#endif
