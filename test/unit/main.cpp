#define BOOST_TEST_MODULE moai
#include <boost/test/unit_test.hpp>
